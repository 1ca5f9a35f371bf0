#include "support/test_certificates.hpp"

#include "support/shell_command.hpp"

#include <cstdlib>
#include <stdexcept>
#include <system_error>

namespace sse_server::test {

namespace {

// EC keys: made in milliseconds, where RSA keys would take a loaded machine seconds.
constexpr char const* script = R"(set -e
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1" 2>/dev/null; }
ca() {
    key "$1.key"
    openssl req -x509 -new -key "$1.key" -out "$1.crt" -days 30 -subj "/CN=$2" 2>/dev/null
}
# signed NAME CN DAYS EXTENSIONS: a certificate for NAME.key signed by ca.
signed() {
    openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=$2" 2>/dev/null
    printf '%s\n' "$4" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days "$3" \
        -extfile "$1.ext" -out "$1.crt" 2>/dev/null
}
ca ca sse-test-ca
ca other-ca sse-other-ca
key server.key
signed server localhost 30 'subjectAltName=DNS:localhost,IP:127.0.0.1'
# Valid until yesterday: expired, and nothing else wrong with it.
cp server.key expired.key
signed expired localhost -1 'subjectAltName=DNS:localhost,IP:127.0.0.1'
key client.key
signed client sse-test-client 30 'extendedKeyUsage=clientAuth'
chmod 600 ./*.key
)";

} // namespace

test_certificates::test_certificates()
{
    std::string pattern = (std::filesystem::temp_directory_path() / "sse-certs-XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
        throw std::runtime_error("cannot create a temporary directory for certificates");
    dir_ = pattern;
    auto const result = run_shell("cd '" + dir_.string() + "' && " + script);
    if (result.exit_status != 0) {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
        throw std::runtime_error("openssl could not make the test certificates: " +
                                 result.output);
    }
}

test_certificates::~test_certificates()
{
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

} // namespace sse_server::test
