# What `cmake --install` (and so the Debian package) puts on a host: the daemon, its
# configuration, the systemd units and the sysusers.d entry of the user they run as. Nothing
# else: the static library, the tests and the benchmark tool stay in the build tree.
#
# The units read /etc/sse-server/sse-server.toml, so the configuration goes there whatever the
# prefix (as GNUInstallDirs does for the prefix /usr). The units' ExecStart= is written at
# install time from the prefix then in force, so that `cmake --install --prefix …` and the
# package (prefix /usr) both get units that start the binary they installed.
include(GNUInstallDirs)

install(TARGETS sse-server RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES config/sse-server.toml DESTINATION /etc/sse-server)

install(CODE "
    set(sse_server_units
        \"${PROJECT_SOURCE_DIR}/config/sse-server.service\"
        \"${PROJECT_SOURCE_DIR}/config/sse-server@.service\")
    set(sse_server_sysusers \"${PROJECT_SOURCE_DIR}/config/sse-server.sysusers\")
    set(sse_server_bindir \"${CMAKE_INSTALL_BINDIR}\")
    set(sse_server_staging \"${PROJECT_BINARY_DIR}/packaging/units\")
")
install(SCRIPT packaging/install_units.cmake)
