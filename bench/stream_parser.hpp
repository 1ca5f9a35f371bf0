#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace sse_server::bench {

/** One complete SSE event; the views live until the parser is fed again. */
struct sse_event
{
    std::string_view event; // "message" when the stream named none
    std::string_view data;
    std::string_view id;
};

/** Who hears the events a stream_parser finds. */
class event_sink
{
public:
    virtual ~event_sink() = default;
    virtual void on_event(sse_event const& e) = 0;
};

/** Reads an HTTP/1.1 SSE response as it arrives, in pieces of any size: the header block,
    the chunked framing, then the event stream. No I/O, so it can be fed from any socket.

    Deliberately small: it understands what an SSE server sends (LF or CRLF line ends,
    `event`, `data`, `id`, comments), not every corner of HTTP. */
class stream_parser
{
public:
    enum class state
    {
        head,
        chunk_size,
        chunk_data,
        chunk_end,
        raw_body,
        ended,
        failed
    };

    /** Consumes `bytes`, calling `sink` for each event completed by them. */
    void feed(std::string_view bytes, event_sink& sink);

    state current() const { return state_; }
    /** The response status, once the header block is complete; 0 before. */
    int status() const { return status_; }
    /** Why the parser failed, or the status line of a refusal. */
    std::string const& error() const { return error_; }
    /** The id a reconnect sends as Last-Event-ID: the last `id:` of a block that ended (an
        event, or a heartbeat carrying only the cursor), never one of an event cut off. */
    std::string const& last_event_id() const { return last_event_id_; }
    /** The reconnection time the server announced (`retry:`), if it did. */
    std::optional<std::chrono::milliseconds> retry() const { return retry_; }
    /** A new response on the same stream (a reconnect): the HTTP state starts over, the last
        event id and the reconnection time carry over, as they belong to a browser's
        EventSource rather than to one of its responses. */
    void restart();

private:
    std::size_t feed_head(std::string_view bytes);
    std::size_t feed_chunk_size(std::string_view bytes);
    void feed_body(std::string_view bytes, event_sink& sink);
    void on_line(std::string_view line, event_sink& sink);
    void fail(std::string why);

    state state_ = state::head;
    int status_ = 0;
    std::string error_;
    std::string head_;
    std::string size_line_;
    std::size_t chunk_left_ = 0;
    std::string partial_line_;
    std::string event_;
    std::string data_;
    std::string id_;
    bool has_data_ = false;
    std::string last_event_id_;
    std::optional<std::chrono::milliseconds> retry_;
};

} // namespace sse_server::bench
