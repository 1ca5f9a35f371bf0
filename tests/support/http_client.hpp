#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sse_server::test {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

/** Request headers, in order. */
using header_list = std::vector<std::pair<std::string, std::string>>;

/** A blocking loopback TCP connection whose every read has a deadline. Tests only. */
class tcp_connection
{
public:
    /** Connects to 127.0.0.1:port; a non-zero `receive_buffer` is set before connecting, so
        that a client that stops reading fills up fast. */
    explicit tcp_connection(std::uint16_t port, int receive_buffer = 0);
    ~tcp_connection();
    tcp_connection(tcp_connection&& other) noexcept;
    tcp_connection& operator=(tcp_connection&&) = delete;

    void send(std::string_view bytes);
    /** Sends what it can without blocking; returns how many bytes went out. */
    std::size_t send_some(std::string_view bytes);
    /** Appends what arrives within `timeout` to `into`; 0 on EOF, -1 on timeout or error. */
    long read_some(std::string& into, milliseconds timeout);
    /** True when the peer closes (EOF or reset) within `timeout`, discarding data. */
    bool closed_within(milliseconds timeout);
    void close();
    int fd() const { return fd_; }

private:
    int fd_ = -1;
};

struct http_response
{
    int status = 0;
    std::map<std::string, std::string> headers; // names lower-cased
    std::string body;
    std::string header(std::string const& name) const;
};

/** Sends one request (`Connection: close` unless given) and reads the whole response. */
http_response http_request(std::uint16_t port, std::string_view method, std::string_view target,
                           std::vector<std::pair<std::string, std::string>> const& headers = {},
                           std::string_view body = {}, milliseconds timeout = 10s);

/** POST /notify with a JSON body on the notification port. */
http_response post_notify(std::uint16_t port, std::string_view json,
                          std::vector<std::pair<std::string, std::string>> headers = {});

/** Polls GET /metrics until the sample `series` (name and labels, e.g.
    `sse_server_connections_closed_total{reason="send_timeout"}`) is at least `at_least`.
    Metrics have no push signal: polling them is how a test awaits a counter. */
bool metric_reaches(std::uint16_t port, std::string const& series, double at_least,
                    milliseconds timeout = 10s);

/** The value of the sample `series` in one GET /metrics; empty when it is not there. */
std::optional<double> metric_value(std::uint16_t port, std::string const& series);

/** Polls GET /metrics until the sample `series` equals `value` (a gauge going down, say). */
bool metric_becomes(std::uint16_t port, std::string const& series, double value,
                    milliseconds timeout = 10s);

/** Polls GET /readyz until it answers `status` (readiness has no push signal either). */
bool readyz_becomes(std::uint16_t port, int status, milliseconds timeout = 10s);

/** A subscriber to `orders` that stops reading after its greeting (a tiny receive window, no
    more reads): the slow or frozen client of the tests. `cookie` is e.g. "sid=a". */
tcp_connection open_stalled_stream(std::uint16_t clients_port, std::string const& cookie);

/** Posts batches of 100 padded `orders` notifications until the daemon holds at least
    `bytes` queued for its streams (sse_server_queued_bytes). How much the kernel buffers
    varies from machine to machine; this waits for the daemon's own backlog. */
bool post_until_backlog(std::uint16_t notify_port, std::int64_t bytes);

/** A POST body: `items` notifications named `orders`, each padded with `padding` bytes. */
std::string padded_batch(int items, std::size_t padding);

struct sse_event
{
    std::string id;
    std::string event = "message";
    std::string data;
};

/** An EventSource-like client: sends the GET, reads the response head, then parses the
    (chunked) body as an event stream following the WHATWG rules. */
class sse_stream
{
public:
    sse_stream(std::uint16_t port, std::string_view target,
               std::vector<std::pair<std::string, std::string>> const& headers = {},
               milliseconds timeout = 10s);

    int status() const { return response_.status; }
    http_response const& response() const { return response_; }

    /** The next event, or empty when none arrives within `timeout` or the stream ends. */
    std::optional<sse_event> next_event(milliseconds timeout = 10s);
    /** Reads events until one named `event` arrives; the skipped ones are returned too. */
    std::optional<sse_event> next_event_named(std::string_view event, milliseconds timeout = 10s);
    /** Reads to the end: true when the stream ended with the last chunk and then FIN. */
    bool ends_cleanly(milliseconds timeout = 10s);
    /** True when the connection is closed by the server within `timeout` (clean or not). */
    bool closed_within(milliseconds timeout);

    std::optional<long> retry_ms() const { return retry_; }
    std::size_t comments() const { return comments_; }
    /** Reads until `count` comments (heartbeats) in all have come; false when an event comes
        first, the stream ends or `timeout` passes. */
    bool await_comments(std::size_t count, milliseconds timeout = 10s);
    /** When each comment was read, in order. */
    std::vector<std::chrono::steady_clock::time_point> const& comment_times() const
    {
        return comment_times_;
    }
    std::string const& last_event_id() const { return last_id_; }
    /** Reads until the stream's last event id is `id` without an event (an `id:`-only
        heartbeat, SPEC §2.3); false when an event comes first, the stream ends or `timeout`
        passes. */
    bool await_last_event_id(std::string const& id, milliseconds timeout = 10s);
    tcp_connection& connection() { return conn_; }

private:
    bool fill(std::chrono::steady_clock::time_point deadline);
    bool decode_chunks(); // moves complete chunk payloads from raw_ to text_
    std::optional<sse_event> parse_event();

    tcp_connection conn_;
    http_response response_;
    std::string raw_;  // bytes after the response head, still chunk-encoded
    std::string text_; // decoded event-stream text not yet parsed
    bool chunked_ = false;
    bool last_chunk_ = false;
    bool eof_ = false;
    std::optional<long> retry_;
    std::size_t comments_ = 0;
    std::vector<std::chrono::steady_clock::time_point> comment_times_;
    std::string last_id_;
    sse_event pending_;
    std::string data_buffer_;
};

} // namespace sse_server::test
