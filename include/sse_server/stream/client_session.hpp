#pragma once

#include "sse_server/auth/authenticator.hpp"
#include "sse_server/auth/credentials.hpp"
#include "sse_server/base/ip_network.hpp"
#include "sse_server/base/net.hpp"
#include "sse_server/http/connection_manager.hpp"
#include "sse_server/http/request_reader.hpp"
#include "sse_server/http/stream_request.hpp"
#include "sse_server/log/event_log.hpp"
#include "sse_server/stream/client_services.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace sse_server {

/** One connection of the clients port until its stream opens: reads the request,
    authenticates it against Redis, finds where a resumed stream continues, and then either
    answers with a refusal (or a CORS preflight) or hands the socket to a stream_transport
    carrying the new client_stream. What to answer is decided by pure functions
    (stream_admission, stream_opening); this class does the I/O and the counting.

    Owned by its pending operations (shared_from_this): once the stream is handed over, the
    session and everything the request needed are freed. */
class client_session : public connection, public std::enable_shared_from_this<client_session>
{
public:
    client_session(tcp_socket&& socket, client_services& services);
    ~client_session() override;

    void run();

    // connection
    void shut_down() override;
    std::size_t abort() override;
    void check_deadline(clock::time_point now) override;

private:
    enum class state : std::uint8_t
    {
        reading,
        authenticating,
        responding, // a refusal or a preflight answer is on its way
        done        // closed, or handed over to its stream
    };

    void do_read_request();
    void on_readable(error_code ec);
    void on_request();
    void on_authenticated(auth_result result);
    void count_login(auth_result const& result);
    void start_stream();
    void on_resume_point(event_log::resume resume);
    void open_stream(std::optional<event_log::resume> resume);
    void refuse(http::status status, std::string reason);
    void log_refusal(std::string_view status, std::string_view reason);
    void respond(http::response<http::string_body>&& response);
    void on_responded(error_code ec, std::size_t bytes);
    void close();
    void fail(error_code ec, char const* what);

    tcp_socket socket_;
    client_services& svc_;
    beast::flat_buffer buffer_;
    // The header only: a stream request has no body, and none is ever read.
    std::optional<request_reader<http::empty_body>> reader_{std::in_place, std::nullopt};
    stream_request target_;
    std::string cors_origin_; // the request's Origin when it is allowed, else empty
    std::optional<http::response<http::string_body>> response_;
    credential credential_;
    std::string user_id_;
    name_list groups_; // from the credential's claims (SPEC §2.4a)
    std::optional<std::chrono::system_clock::time_point> valid_until_; // a token's exp
    tcp::endpoint peer_;
    // Who the access log names: the peer, or the client a trusted proxy forwards for.
    ip_address client_address_;
    clock::time_point deadline_ = clock::time_point::max(); // header or send timeout
    state state_ = state::reading;
    std::uint8_t version_ = 11; // the request's HTTP version
    bool reserved_ = false; // admitted, counted toward the user's limit, not streaming yet
};

} // namespace sse_server
