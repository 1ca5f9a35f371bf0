#pragma once

#include <filesystem>
#include <string>

namespace sse_server::test {

/** Certificates made for one test with the openssl command, in a private temporary directory
    removed with the object: a CA, a server certificate for "localhost" and 127.0.0.1, the same
    server expired, a client certificate, and a second CA that signed none of them. Throws
    std::runtime_error when openssl fails. */
class test_certificates
{
public:
    test_certificates();
    ~test_certificates();
    test_certificates(test_certificates const&) = delete;
    test_certificates& operator=(test_certificates const&) = delete;

    std::string ca() const { return path("ca.crt"); }
    std::string other_ca() const { return path("other-ca.crt"); }
    std::string server_cert() const { return path("server.crt"); }
    std::string server_key() const { return path("server.key"); }
    std::string expired_cert() const { return path("expired.crt"); } // key: server_key()
    std::string client_cert() const { return path("client.crt"); }
    std::string client_key() const { return path("client.key"); }

private:
    std::string path(char const* name) const { return (dir_ / name).string(); }

    std::filesystem::path dir_;
};

} // namespace sse_server::test
