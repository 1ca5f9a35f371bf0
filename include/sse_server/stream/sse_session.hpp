#pragma once

#include "sse_server/auth/authenticator.hpp"
#include "sse_server/auth/credentials.hpp"
#include "sse_server/base/ip_network.hpp"
#include "sse_server/base/net.hpp"
#include "sse_server/http/connection_manager.hpp"
#include "sse_server/http/request_reader.hpp"
#include "sse_server/http/stream_request.hpp"
#include "sse_server/log/event_log.hpp"
#include "sse_server/ops/log_limiter.hpp"
#include "sse_server/stream/flush_scheduler.hpp"
#include "sse_server/stream/frame_queue.hpp"
#include "sse_server/stream/registry.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
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
    event_log& log;
    authenticator& auth;
    metrics& stats;
    log_limiter& warnings; // what 100 000 clients could each trigger is logged once per window
    log_limiter& access_log; // log.access: a budget of lines per second, the rest counted
    connection_manager& connections;
    flush_scheduler& flushes;
    std::mt19937_64& random; // origins of clients that announce none
    std::size_t& open_sessions; // every connection of the clients port, whatever its state
};

/** One client's Server-Sent-Events stream on the clients port.

    Reads one request, authenticates it against Redis, then streams: the response header,
    `retry:` and the `connected` event, then every frame the registry hands it. Owned by its
    pending operations (shared_from_this); subscribed from the moment the stream starts,
    unsubscribed in the destructor.

    Thousands of these live at once, so a stream keeps only what it needs: the request and its
    buffers are freed once the stream starts, timeouts are deadlines checked by one periodic
    sweep (no timer per connection), and frames are written with non-blocking writes, waiting
    for the socket only when it is full.

    Its members are defined by concern: sse_session.cpp from the request to the stream's start
    (or a refusal), sse_session_write.cpp the write queue and the catch-up of a resumed stream,
    sse_session_end.cpp the ways a stream ends. */
class sse_session : public subscriber,
                    public connection,
                    public flushable,
                    public std::enable_shared_from_this<sse_session>
{
public:
    sse_session(tcp::socket&& socket, client_services& services);
    ~sse_session() override;

    void run();

    // subscriber
    std::string const& user_id() const override { return user_id_; }
    std::vector<std::string> const& events() const override { return events_; }
    std::vector<std::string> const& groups() const override { return groups_; }
    bool send(frame_ptr const& frame) override;
    void keep_alive(frame_ptr const& comment, clock::time_point now,
                    clock::duration quiet_for) override;
    void revalidate(std::function<void()> answered) override;
    stream_info info() const override;

    // connection
    void shut_down() override;
    std::size_t abort() override;
    void check_deadline(clock::time_point now) override;

    // flushable
    void flush() override;

private:
    enum class state : std::uint8_t
    {
        reading,
        authenticating,
        streaming,
        finishing, // the last chunk or a refusal is queued; no new frames
        closed
    };

    /** Everything that is needed only until the stream starts (or the refusal is sent). */
    struct pending_request
    {
        beast::flat_buffer buffer;
        // The header only: a stream request has no body, and none is ever read.
        std::optional<request_reader<http::empty_body>> reader{std::in_place, std::nullopt};
        stream_request target;
        std::string cors_origin; // the request's Origin when it is allowed, else empty
        std::optional<http::response<http::string_body>> response;
    };

    void do_read_request();
    void on_readable(error_code ec);
    void on_request();
    void on_authenticated(auth_result result);
    void on_revalidated(auth_result result);
    void count_login(auth_result const& result);
    void start_stream();
    void on_resume_point(event_log::resume resume);
    void open_stream(std::optional<event_log::resume> resume);
    void request_flush();
    bool pull_replay();
    void on_replay(replay_batch batch);
    bool take_replay(replay_batch batch);
    void do_write();
    void do_wait_writable();
    void on_writable(error_code ec);
    void count_queued_bytes();
    void do_watch_hangup();
    void on_hangup(error_code ec);
    void refuse(http::status status, std::string reason);
    void log_refusal(std::string_view status, std::string_view reason);
    void log_end(char const* reason);
    void respond(http::response<http::string_body>&& response);
    void on_responded(error_code ec, std::size_t bytes);
    void finish(char const* reason);
    void close(char const* reason);
    void fail(error_code ec, char const* what);

    tcp::socket socket_;
    client_services& svc_;
    std::unique_ptr<pending_request> request_;
    tcp::endpoint peer_;
    // Who the access log names: the peer, or the client a trusted proxy forwards for.
    ip_address client_address_;
    clock::time_point deadline_ = clock::time_point::max();
    clock::time_point end_of_life_ = clock::time_point::max(); // client.max_lifetime
    char const* close_reason_ = nullptr; // why the stream ended, for metrics
    state state_ = state::reading;
    std::uint8_t version_ = 11; // the request's HTTP version
    bool reserved_ = false; // admitted, counted toward the user's limit, not subscribed yet
    bool subscribed_ = false;
    bool flush_requested_ = false;
    bool waiting_writable_ = false;
    bool wrote_since_sweep_ = false;
    clock::time_point last_write_{}; // as the sweeps see it: heartbeats are due from here
    // Resuming: while catching up, frames come from the event log, in order, as the queue
    // drains; live frames are skipped because the log holds them too.
    bool catching_up_ = false;
    bool replay_pending_ = false; // a batch of history is being read back from Redis
    event_id cursor_;

    std::vector<std::string> events_;
    std::vector<std::string> groups_; // from the session's claims (SPEC §2.4a)
    credential credential_; // kept to check it again (revalidation)
    std::string user_id_;

    // For the access log's line when the stream ends, and GET /streams.
    std::string origin_; // at most 64 bytes (SPEC §2.1)
    clock::time_point opened_at_{};
    std::uint64_t bytes_sent_ = 0;
    std::uint32_t events_sent_ = 0;

    // The write queue: frames shared with every other connection, bounded in bytes.
    std::string response_header_; // freed once written
    frame_queue queue_;
    std::size_t counted_bytes_ = 0; // queue_'s pending bytes as last added to the metrics
};

} // namespace sse_server
