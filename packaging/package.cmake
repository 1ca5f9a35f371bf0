# The Debian package, built by `cpack -G DEB` in a build configured with the prefix /usr
# (scripts/package): sse-server_<version>_<arch>.deb with what install.cmake installs.
set(CPACK_PACKAGE_NAME sse-server)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Server-Sent Events daemon pushing notifications to clients")
set(CPACK_PACKAGE_DESCRIPTION
    "Keeps an SSE stream open to every logged-in client and pushes the changes an application
POSTs to the clients that subscribed to them. Several daemons share one host's ports and one
Redis (cluster mode over Redis Streams).")
set(CPACK_PACKAGE_CONTACT "The sse-server authors <sse-server@localhost>" CACHE STRING
    "Maintainer field of the Debian package")
set(CPACK_GENERATOR DEB)
set(CPACK_STRIP_FILES ON)
# The configuration and the units sit at absolute paths (/etc, /lib), and the units' ExecStart=
# is written from the install prefix: CPack must install with DESTDIR and the real prefix, not
# into a staging prefix.
set(CPACK_SET_DESTDIR ON)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Redis is a service of its own, often on another host: suggested, so that apt installs no
# Redis server (Recommends would) where the daemon uses a remote one.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS redis-server)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
    ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
