#include "sse_server/redis/redis_transport.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

// Asio's TLS layer is compiled here, the one file that uses it (asio_impl.cpp compiles the rest
// of Asio once for the project).
#include <boost/asio/ssl/impl/src.hpp>

namespace sse_server {

redis_tls_context make_redis_tls_context(redis_tls_config const& tls)
{
    redis_tls_context made;
    made.context = std::make_unique<net::ssl::context>(net::ssl::context::tls_client);
    auto& context = *made.context;
    error_code ec;
    // Verification is always on: there is no setting that turns it off (SPEC §6).
    context.set_verify_mode(net::ssl::verify_peer, ec);
    if (tls.ca_file.empty())
        context.set_default_verify_paths(ec);
    else
        context.load_verify_file(tls.ca_file, ec);
    if (ec) {
        made.error = "TLS: cannot load " +
                     (tls.ca_file.empty() ? "the system's CA certificates" : tls.ca_file) + " (" +
                     ec.message() + ")";
        return made;
    }
    if (!tls.cert_file.empty()) {
        context.use_certificate_chain_file(tls.cert_file, ec);
        if (ec) {
            made.error = "TLS: cannot load the client certificate " + tls.cert_file + " (" +
                         ec.message() + ")";
            return made;
        }
        context.use_private_key_file(tls.key_file, net::ssl::context::pem, ec);
        if (ec) {
            made.error = "TLS: cannot load the client key " + tls.key_file + " (" +
                         ec.message() + ")";
            return made;
        }
    }
    return made;
}

redis_transport::redis_transport(net::io_context& ioc, net::ssl::context* tls,
                                 std::string server_name)
    : stream_(std::in_place_type<tcp::socket>, ioc), server_name_(std::move(server_name))
{
    if (tls)
        stream_.emplace<tls_stream>(ioc, *tls);
}

redis_transport::redis_transport(net::io_context& ioc)
    : stream_(std::in_place_type<unix_socket>, ioc)
{
}

void redis_transport::async_connect(tcp::endpoint const& to,
                                    std::function<void(std::string error)> done)
{
    auto& socket = std::holds_alternative<tls_stream>(stream_)
                       ? std::get<tls_stream>(stream_).next_layer()
                       : std::get<tcp::socket>(stream_);
    socket.async_connect(to, [this, done = std::move(done)](error_code ec) mutable {
        if (ec)
            return done(ec == net::error::operation_aborted ? "closed" : socket_error_text(ec));
        error_code ignored;
        std::visit(
            [&](auto& s) {
                if constexpr (!std::is_same_v<std::decay_t<decltype(s)>, unix_socket>) {
                    auto& connected = [&]() -> tcp::socket& {
                        if constexpr (std::is_same_v<std::decay_t<decltype(s)>, tls_stream>)
                            return s.next_layer();
                        else
                            return s;
                    }();
                    // Commands are small and pipelined: Nagle would hold each batch back.
                    connected.set_option(tcp::no_delay(true), ignored);
                }
            },
            stream_);
        if (std::holds_alternative<tls_stream>(stream_))
            return handshake(std::move(done));
        done({});
    });
}

void redis_transport::async_connect(std::string const& path,
                                    std::function<void(std::string error)> done)
{
    std::get<unix_socket>(stream_).async_connect(
        net::local::stream_protocol::endpoint(path),
        [done = std::move(done), path](error_code ec) {
            if (!ec)
                return done({});
            done(ec == net::error::operation_aborted ? "closed" : socket_error_text(ec));
        });
}

void redis_transport::handshake(std::function<void(std::string)> done)
{
    auto& stream = std::get<tls_stream>(stream_);
    SSL* ssl = stream.native_handle();
    // The name is both sent (SNI: a proxy in front of several Redis picks by it) and checked
    // against the certificate; an address is checked against the certificate's IP entries.
    error_code not_an_address;
    net::ip::make_address(server_name_, not_an_address);
    bool named = false;
    if (not_an_address) {
        named = SSL_set_tlsext_host_name(ssl, server_name_.c_str()) == 1 &&
                SSL_set1_host(ssl, server_name_.c_str()) == 1;
    } else {
        named = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), server_name_.c_str()) == 1;
    }
    if (!named)
        return done("TLS: cannot check the server name " + server_name_);
    // Asio asks OpenSSL to free a connection's record buffers whenever they are empty, which
    // saves memory on many idle connections; a Redis connection is one of a few and busy, so
    // it would allocate and free them around every read and write (bench/README.md).
    SSL_clear_mode(ssl, SSL_MODE_RELEASE_BUFFERS);
    stream.async_handshake(net::ssl::stream_base::client,
                           [this, done = std::move(done)](error_code ec) {
                               done(ec ? handshake_error(ec) : std::string());
                           });
}

std::string redis_transport::handshake_error(error_code ec)
{
    if (ec == net::error::operation_aborted)
        return "closed";
    auto* stream = std::get_if<tls_stream>(&stream_);
    if (stream) {
        // OpenSSL's own error says only "certificate verify failed": the verification result
        // says which (an unknown CA, an expired certificate, another name).
        auto const verdict = SSL_get_verify_result(stream->native_handle());
        if (verdict != X509_V_OK)
            return "TLS: certificate verify failed (" +
                   ascii_lower(X509_verify_cert_error_string(verdict)) + ")";
    }
    if (ec.category() != net::error::get_ssl_category() &&
        ec != net::ssl::error::stream_truncated)
        return "TLS: handshake failed (" + socket_error_text(ec) + ")";
    return "TLS: handshake failed (" + ec.message() + ")";
}

void redis_transport::close()
{
    error_code ignored;
    std::visit(
        [&](auto& s) {
            if constexpr (std::is_same_v<std::decay_t<decltype(s)>, tls_stream>)
                s.next_layer().close(ignored);
            else
                s.close(ignored);
        },
        stream_);
}

std::string redis_transport::describe(error_code ec) const
{
    // A TLS alert after the handshake (TLS 1.3 sends "certificate required" only then) is the
    // reason an operator needs; an end of stream is a lost connection whatever carried it.
    if (ec.category() == net::error::get_ssl_category())
        return "TLS: " + ec.message();
    return "connection lost";
}

} // namespace sse_server
