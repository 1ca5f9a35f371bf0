#pragma once

#include "sse_server/authenticator.hpp"
#include "sse_server/connection_manager.hpp"
#include "sse_server/credentials.hpp"
#include "sse_server/frame_queue.hpp"
#include "sse_server/net.hpp"
#include "sse_server/registry.hpp"
#include "sse_server/stream_request.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sse_server {

struct config;
struct metrics;

/** What every client session uses; owned by `server`, passed by reference. */
struct client_services
{
    config const& cfg;
    registry& subscriptions;
    authenticator& auth;
    metrics& stats;
    connection_manager& connections;
};

/** One client's Server-Sent-Events stream on the clients port.

    Reads one request, authenticates it against Redis, then streams: the response header,
    `retry:` and the `connected` event, then every frame the registry hands it. Owned by its
    pending operations (shared_from_this); subscribed from the moment the stream starts,
    unsubscribed in the destructor. */
class sse_session : public subscriber,
                    public connection,
                    public std::enable_shared_from_this<sse_session>
{
public:
    sse_session(tcp::socket&& socket, client_services& services);
    ~sse_session() override;

    void run();

    // subscriber
    std::string const& user_id() const override { return user_id_; }
    std::vector<std::string> const& events() const override { return request_.events; }
    void send(frame_ptr const& frame) override;
    void keep_alive(frame_ptr const& comment) override;
    void revalidate() override;

    // connection
    void shut_down() override;
    std::size_t abort() override;

private:
    enum class state
    {
        reading,
        authenticating,
        streaming,
        finishing, // the last chunk is queued; no new frames
        closed
    };

    void do_read_request();
    void on_read_request(error_code ec, std::size_t bytes);
    void on_authenticated(auth_result result);
    void start_stream();
    void enqueue(frame_ptr frame);
    void count_queued_bytes();
    void pull_replay();
    void do_write();
    void on_write(error_code ec, std::size_t bytes);
    void do_watch_hangup();
    void on_hangup(error_code ec, std::size_t bytes);
    void refuse(http::status status, std::string reason);
    void respond(http::response<http::string_body>&& response);
    void on_responded(error_code ec, std::size_t bytes);
    void finish(char const* reason);
    void close(char const* reason);
    void fail(error_code ec, char const* what);

    beast::tcp_stream stream_;
    client_services& svc_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::empty_body>> parser_;
    std::optional<http::response<http::string_body>> response_;
    std::array<char, 512> discard_buffer_{};
    tcp::endpoint peer_;
    state state_ = state::reading;
    char const* close_reason_ = nullptr; // why the stream ended, for metrics

    stream_request request_;
    credential credential_;
    std::string user_id_;
    std::string cors_origin_; // the request's Origin when it is allowed, else empty
    unsigned version_ = 11;   // the request's HTTP version
    bool subscribed_ = false;

    // Resuming: while catching up, frames come from the replay buffer, in order, as the
    // queue drains; live frames are skipped because the buffer holds them too.
    bool catching_up_ = false;
    event_id cursor_;

    // The write queue: frames shared with every other connection, bounded in bytes.
    std::string response_header_;
    frame_queue queue_;
    std::size_t counted_bytes_ = 0; // queue_'s pending bytes as last added to the metrics
    bool wrote_since_tick_ = false;
};

} // namespace sse_server
