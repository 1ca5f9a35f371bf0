#pragma once

#include "sse_server/auth/authenticator.hpp"
#include "sse_server/auth/credentials.hpp"
#include "sse_server/event/event_id.hpp"
#include "sse_server/log/event_log.hpp"
#include "sse_server/stream/client_services.hpp"
#include "sse_server/stream/flush_scheduler.hpp"
#include "sse_server/stream/frame_queue.hpp"
#include "sse_server/stream/registry.hpp"
#include "sse_server/stream/stream_origin.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace sse_server {

/** What a stream needs from the connection that carries it. The seam between the stream and
    its transport: an HTTP/1 socket today; a WebSocket or an HTTP/2 stream behind a proxy would
    carry the same stream. Flushable by the server's flush_scheduler, which wake() asks: one
    interface, so a carrier pays for one vtable pointer, not two. */
class stream_carrier : public flushable
{
public:
    virtual ~stream_carrier() = default;
    /** Frames were queued: write them once the handler that queued them has returned. */
    virtual void wake() = 0;
    /** The stream cannot go on (its client is too slow): close the connection now. */
    virtual void cut(char const* reason) = 0;
    /** Keeps the carrier, and the stream inside it, alive while a lookup is pending. */
    virtual std::shared_ptr<void> hold() = 0;
};

/** What the opening of a stream hands over to it. */
struct stream_start
{
    std::string user_id;
    std::vector<std::string> events;
    name_list groups;                // from the credential's claims (SPEC §2.4a)
    credential cred;                 // kept to check it again (revalidation)
    stream_origin origin;
    std::string greeting;            // retry:, connected (and resync): the first frame
    std::optional<event_id> catch_up_from; // resuming behind the newest event: read from here
    // The credential's end (a token's exp, SPEC §2.2a): the stream ends then, "expired".
    std::optional<std::chrono::system_clock::time_point> valid_until = std::nullopt;
};

/** One client's stream, with no socket: what it is subscribed to and may receive, its bounded
    queue of shared frames, where it stands (catching up with the log, live, finishing), its
    heartbeats, lifetime and revalidation. The transport that carries it writes its queue.

    Subscribed to the registry for exactly its own lifetime (constructor to destructor), so
    the registry never holds a stream that is gone. */
class client_stream final : public subscriber
{
public:
    using clock = std::chrono::steady_clock;

    client_stream(client_services& services, stream_carrier& carrier, stream_start start);
    ~client_stream() override;
    client_stream(client_stream const&) = delete;
    client_stream& operator=(client_stream const&) = delete;

    // subscriber
    std::string const& user_id() const override { return user_id_; }
    std::vector<std::string> const& events() const override { return events_; }
    name_list const& groups() const override { return groups_; }
    bool send(frame_ptr const& frame) override;
    void revalidate(std::function<void()> answered) override;
    stream_info info() const override;

    // For the transport.
    frame_queue& queue() { return queue_; }
    client_services& services() { return svc_; }
    /** Before a batch is gathered from an empty queue: a stream catching up reads the next
        part of its backlog. False while that read is pending (the carrier is woken when it
        comes) or when the stream was cut. */
    bool refill();
    /** Ending cleanly: the queue is written out, then the last chunk. */
    bool finishing() const { return std::holds_alternative<finishing_phase>(phase_); }
    bool open() const { return !std::holds_alternative<ended_phase>(phase_); }
    /** Why the stream ended (or is ending), for metrics and the access log; null if unknown. */
    char const* end_reason() const;
    /** Ends the stream cleanly: what is queued is written, then its end. */
    void finish(char const* reason);
    /** Its connection is closed; `reason` counts unless a finish gave one already. */
    void ended(char const* reason);
    /** A graceful stop: ends now, or when its drawn drain delay passes (check_lifetime). */
    void shut_down();
    /** Ends the stream once its lifetime (client.max_lifetime, or a drain delay) is over, or
        its credential expired (a token's exp). */
    void check_lifetime(clock::time_point now);
    /** Sends a heartbeat when nothing was queued to the stream for `quiet_for` up to `now`:
        `beat.cursor` when there is one and the stream is live (it is then up to date with
        it: everything it should receive up to it was written), else `beat.comment`. Called
        once per sweep: a write since the previous call counts as made at `now`. */
    void keep_alive(heartbeat const& beat, clock::time_point now, clock::duration quiet_for);
    /** Adds the change of its queued bytes to the metrics' gauge. */
    void count_queued_bytes();

    clock::time_point opened_at() const { return opened_at_; }
    std::uint32_t events_sent() const { return events_sent_; }
    stream_origin const& origin() const { return origin_; }

private:
    // Resuming: frames come from the event log, in order, as the queue drains; live frames are
    // skipped meanwhile because the log holds them too.
    struct catch_up
    {
        event_id cursor;
        bool read_pending = false; // a batch of history is being read back from Redis
    };
    struct catching_up_phase // on the heap: an idle stream's phase takes 16 bytes, not 32
    {
        std::unique_ptr<catch_up> state;
    };
    struct live_phase
    {};
    struct finishing_phase // the last frames and the end are queued; nothing else is taken
    {
        char const* reason;
    };
    struct ended_phase
    {
        char const* reason; // null: its client went away before it ended otherwise
    };

    bool streaming() const { return !finishing() && open(); }
    bool pull_replay(event_id cursor);
    void on_replay(replay_batch batch);
    bool take_replay(replay_batch batch);
    void on_revalidated(auth_result result);
    void cut(char const* reason);

    // In this order, an idle stream takes the fewest bytes (issue 21: a million of them).
    std::uint32_t events_sent_ = 0; // first: it fills the tail of subscriber
    client_services& svc_;
    stream_carrier& carrier_;
    std::variant<live_phase, catching_up_phase, finishing_phase, ended_phase> phase_;
    std::string user_id_;
    std::vector<std::string> events_;
    name_list groups_; // shared with the streams whose claims have an equal list
    credential credential_;
    stream_origin origin_;
    frame_queue queue_; // frames shared with every other stream, bounded in bytes
    std::size_t counted_bytes_ = 0; // queue_'s pending bytes as last added to the metrics
    clock::time_point opened_at_;
    clock::time_point last_write_; // as the sweeps see it: heartbeats are due from here
    // The first of its ends: client.max_lifetime or a drain delay, or its token's exp.
    clock::time_point ends_at_ = clock::time_point::max();
    bool ends_expired_ = false; // ends_at_ is the token's exp
    bool wrote_since_sweep_ = false;
};

} // namespace sse_server
