# Runs at install time (after the variables set by install.cmake): installs the systemd units
# with ExecStart= and ExecReload= naming the binary under the prefix in force, and the
# sysusers.d entry.
#
# Debian 12's packages put their units under /lib/systemd/system, not /usr/lib/systemd/system;
# systemd and systemd-sysusers also read /usr/local/lib/{systemd/system,sysusers.d}, so the
# default prefix needs no copying either. sysusers.d entries live under /usr/lib on Debian 12.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    set(sse_server_unit_dir "/lib/systemd/system")
else()
    set(sse_server_unit_dir "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
endif()

file(MAKE_DIRECTORY "${sse_server_staging}")
set(sse_server_staged_units "")
foreach(unit IN LISTS sse_server_units)
    get_filename_component(name "${unit}" NAME)
    file(READ "${unit}" text)
    # The units name /usr/local/bin/sse-server (ExecStart=, and ExecReload='s configuration check).
    string(REPLACE "/usr/local/bin/sse-server"
        "${CMAKE_INSTALL_PREFIX}/${sse_server_bindir}/sse-server" text "${text}")
    file(WRITE "${sse_server_staging}/${name}" "${text}")
    list(APPEND sse_server_staged_units "${sse_server_staging}/${name}")
endforeach()

# file(INSTALL) adds DESTDIR and records the files in install_manifest.txt.
file(INSTALL DESTINATION "${sse_server_unit_dir}" TYPE FILE
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
     FILES ${sse_server_staged_units})
file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/sysusers.d" TYPE FILE
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
     RENAME sse-server.conf FILES "${sse_server_sysusers}")
