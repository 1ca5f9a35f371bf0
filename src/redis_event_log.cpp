#include "sse_server/redis_event_log.hpp"

#include "sse_server/bus_entry.hpp"
#include "sse_server/metrics.hpp"
#include "sse_server/sse_frame.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <utility>

namespace sse_server {

namespace {

using kind = redis_reply::kind;

constexpr milliseconds block_for{1000};        // one blocking XREAD
constexpr milliseconds retry_after_fault{1000}; // a key of the wrong type, an error reply
constexpr std::size_t read_count = 1000;        // entries per XREAD
constexpr std::size_t page_count = 64;          // entries per XRANGE page of a read-back

/** The value of `name` in a flat [name, value, …] reply (XINFO STREAM); null when absent. */
redis_reply const* field(redis_reply const& flat, std::string_view name)
{
    if (flat.type != kind::array)
        return nullptr;
    for (std::size_t i = 0; i + 1 < flat.elements.size(); i += 2)
        if (flat.elements[i].type == kind::value && flat.elements[i].text == name)
            return &flat.elements[i + 1];
    return nullptr;
}

std::uint64_t number(redis_reply const* r)
{
    return r && r->type == kind::value ? std::strtoull(r->text.c_str(), nullptr, 10) : 0;
}

event make_event(event_id id, notification const& n)
{
    auto const text = id.to_string();
    // Stream ids never hold CR/LF and "db" is constant, so formatting cannot fail here.
    return event{id, n.name, n.id,
                 std::make_shared<std::string const>(
                     format_event(text, "db", n.body).value_or(std::string{}))};
}

} // namespace

redis_event_log::redis_event_log(net::io_context& ioc, config const& cfg,
                                 redis_config const& bus, metrics& stats, sink deliver,
                                 broadcast to_all)
    : ioc_(ioc), cfg_(cfg), bus_(bus), stats_(stats), deliver_(std::move(deliver)),
      to_all_(std::move(to_all)), writer_(ioc, bus_), reader_(ioc, bus_), retry_timer_(ioc),
      trim_timer_(ioc),
      history_(cfg.replay.capacity, cfg.replay.max_bytes, cfg.replay.max_age, event_id{})
{
    reader_.on_state_change([this](bool up) { on_reader_state(up); });
}

void redis_event_log::start()
{
    stopped_ = false;
    writer_.start();
    reader_.start();
    do_trim();
}

void redis_event_log::stop()
{
    stopped_ = true;
    ++read_generation_;
    retry_timer_.cancel();
    trim_timer_.cancel();
    reader_.stop();
    writer_.stop();
    // Streams waiting to resume get resync; while stopping, they are refused anyway.
    auto waiting = std::move(waiting_resumes_);
    for (auto& [id, done] : waiting)
        net::post(ioc_, [done = std::move(done)] { done(resume{}); });
}

std::optional<std::string> redis_event_log::not_ready() const
{
    if (!fault_.empty())
        return fault_;
    if (!reader_.connected())
        return "event bus unavailable: " + reader_.last_error();
    if (!writer_.connected())
        return "event bus unavailable: " + writer_.last_error();
    if (!position_)
        return std::string("event bus: reading position not fixed yet");
    return std::nullopt;
}

// --- appending ---------------------------------------------------------------------------

std::optional<event_log::append_result>
redis_event_log::append(std::vector<notification> const& items, later<append_result> done)
{
    if (items.empty())
        return append_result{};
    if (!writer_.connected()) {
        auto const& why = writer_.last_error();
        return append_result{{}, std::nullopt, why.empty() ? "not connected" : why};
    }
    auto const max_len = std::to_string(cfg_.cluster.max_len);
    auto const& key = cfg_.cluster.stream;
    auto xadd = [&](notification const& n) -> std::vector<std::string> {
        return {"XADD", key, "MAXLEN", "~", max_len, "*", "n", n.body};
    };
    auto const count = items.size();
    auto finish = [done = std::move(done)](std::vector<redis_reply> const& ids,
                                           std::string const& error) {
        append_result result;
        for (auto const& id : ids) {
            if (id.type != kind::value) {
                result.ids.clear();
                result.unavailable = id.text;
                break;
            }
            result.ids.push_back(id.text);
        }
        if (ids.empty())
            result.unavailable = error.empty() ? "the transaction was discarded" : error;
        done(std::move(result));
    };
    if (count == 1) {
        // One XADD is atomic by itself.
        writer_.async_command(xadd(items.front()), [finish](redis_reply const& reply) {
            finish(reply.type == kind::value ? std::vector<redis_reply>{reply}
                                             : std::vector<redis_reply>{},
                   reply.text);
        });
        return std::nullopt;
    }
    // Sent back to back on one connection: nothing of another request comes in between, and
    // Redis appends the whole batch at EXEC or, if the connection drops first, none of it.
    writer_.async_command({"MULTI"}, [](redis_reply const&) {});
    for (auto const& n : items)
        writer_.async_command(xadd(n), [](redis_reply const&) {});
    writer_.async_command({"EXEC"}, [finish, count](redis_reply const& reply) {
        bool const whole = reply.type == kind::array && reply.elements.size() == count;
        finish(whole ? reply.elements : std::vector<redis_reply>{}, reply.text);
    });
    return std::nullopt;
}

// --- reading the stream ------------------------------------------------------------------

void redis_event_log::on_reader_state(bool up)
{
    if (!up || stopped_)
        return;
    // A fresh connection: whatever read was pending is gone with the old one.
    ++read_generation_;
    reading_ = false;
    if (!position_)
        do_position();
    else
        do_check_gap();
}

void redis_event_log::do_position()
{
    auto type = std::make_shared<redis_reply>();
    auto const& key = cfg_.cluster.stream;
    reader_.async_command({"TYPE", key}, [type](redis_reply const& r) { *type = r; });
    reader_.async_command({"XINFO", "STREAM", key}, [this, type](redis_reply const& info) {
        if (!stopped_)
            on_position(*type, info);
    });
}

void redis_event_log::on_position(redis_reply const& type, redis_reply const& info)
{
    if (type.type == kind::unavailable || info.type == kind::unavailable)
        return; // the reconnect starts over
    if (type.type != kind::value || (type.text != "stream" && type.text != "none"))
        return retry_later("the key " + cfg_.cluster.stream + " is not a stream (type " +
                           type.text + ")");
    // The last id the stream ever gave out, even when every entry has been trimmed since:
    // whatever is appended later is for us. A stream that does not exist yet starts at 0-0.
    event_id start{};
    if (auto const* last = field(info, "last-generated-id"))
        start = event_id::parse(last->text).value_or(event_id{});
    fault_.clear();
    position_ = start;
    history_ = replay_buffer(cfg_.replay.capacity, cfg_.replay.max_bytes, cfg_.replay.max_age,
                             start);
    spdlog::info("event bus: reading {} after {}", cfg_.cluster.stream, start.to_string());
    do_read();
}

void redis_event_log::do_check_gap()
{
    auto info = std::make_shared<redis_reply>();
    auto const& key = cfg_.cluster.stream;
    auto const at = position_->to_string();
    reader_.async_command({"XINFO", "STREAM", key}, [info](redis_reply const& r) { *info = r; });
    reader_.async_command({"XRANGE", key, at, at}, [this, info](redis_reply const& r) {
        if (!stopped_)
            on_check_gap(*info, r);
    });
}

void redis_event_log::on_check_gap(redis_reply const& info, redis_reply const& at_position)
{
    if (info.type == kind::unavailable || at_position.type == kind::unavailable)
        return; // the reconnect starts over
    if (at_position.type == kind::error)
        return retry_later("event bus: " + at_position.text);
    // Trimming removes the oldest entries first: nothing after our position is gone when the
    // position itself is still there, or is the last id ever given out. A stream that did not
    // exist when we started lost nothing when every entry ever added is still in it.
    bool intact = !at_position.elements.empty();
    if (auto const* last = field(info, "last-generated-id"))
        intact = intact || event_id::parse(last->text) == position_;
    else if (info.type == kind::error)
        intact = intact || *position_ == event_id{}; // still no such key
    if (*position_ == event_id{} && info.type == kind::array)
        intact = intact || number(field(info, "entries-added")) == number(field(info, "length"));
    fault_.clear();
    if (!intact)
        history_lost("entries were trimmed while the bus connection was down");
    do_read();
}

void redis_event_log::do_read()
{
    if (stopped_ || reading_)
        return;
    reading_ = true;
    auto const generation = ++read_generation_;
    auto const& key = cfg_.cluster.stream;
    auto const at = position_->to_string();
    // Is our position still in the stream? Asked with every read: a reader that falls behind
    // the trimming must notice, not skip what it never read. (At 0-0 the stream was empty
    // when we started: nothing to check.)
    auto at_position = std::make_shared<redis_reply>();
    if (*position_ != event_id{})
        reader_.async_command({"XRANGE", key, at, at},
                              [at_position](redis_reply const& r) { *at_position = r; });
    reader_.async_command(
        {"XREAD", "COUNT", std::to_string(read_count), "BLOCK", std::to_string(block_for.count()),
         "STREAMS", key, at},
        [this, generation, at_position, checked = *position_ != event_id{}](redis_reply const& r) {
            bool const position_gone =
                checked && at_position->type == kind::array && at_position->elements.empty();
            on_read(generation, position_gone, r);
        },
        block_for + bus_.timeout);
}

void redis_event_log::on_read(std::uint64_t generation, bool position_gone,
                              redis_reply const& reply)
{
    if (stopped_ || generation != read_generation_)
        return;
    reading_ = false;
    if (reply.type == kind::unavailable)
        return; // reading goes on from the reconnect (on_reader_state)
    if (reply.type == kind::error)
        return retry_later("event bus: " + reply.text);
    auto const* entries = xread_entries(reply);
    // Entries after a position that is gone: what lay between may have been trimmed unread.
    // (Unless that loss was reported already: after a Redis restart without persistence the
    // position is gone for good, and one resync is enough.)
    if (entries && !entries->elements.empty() && position_gone && lost_at_ != position_)
        history_lost("this daemon fell behind the stream's trimming");
    if (entries)
        deliver(*entries);
    else
        stats_.cluster_lag_seconds = 0;
    do_read();
}

void redis_event_log::retry_later(std::string fault)
{
    if (fault != fault_)
        spdlog::error("{}; retrying every {} ms", fault, retry_after_fault.count());
    fault_ = std::move(fault);
    retry_timer_.expires_after(retry_after_fault);
    retry_timer_.async_wait([this](error_code ec) {
        if (ec || stopped_ || !reader_.connected())
            return;
        if (!position_)
            do_position();
        else
            do_check_gap();
    });
}

void redis_event_log::history_lost(std::string_view why)
{
    spdlog::warn("event bus: {}: open streams get resync", why);
    lost_at_ = position_;
    // What this daemon remembers no longer joins up with what follows.
    history_ = replay_buffer(cfg_.replay.capacity, cfg_.replay.max_bytes, cfg_.replay.max_age,
                             *position_);
    to_all_(std::make_shared<std::string const>(
        *format_event("", "resync", R"({"reason":"history-lost"})")));
}

void redis_event_log::deliver(redis_reply const& entries)
{
    auto const read_at = std::chrono::steady_clock::now();
    auto const now = replay_buffer::clock::now();
    auto const parsed = read_bus_entries(entries, cfg_.notify.max_body_bytes);
    for (auto const& entry : parsed) {
        if (!entry.id || *entry.id <= *position_)
            continue; // never twice
        position_ = entry.id;
        if (!entry.item) {
            stats_.cluster_entries.inc("invalid");
            if (logged_problems_.insert(entry.problem).second)
                spdlog::warn("event bus: skipped entry {}: {} (logged once per kind)",
                             entry.id->to_string(), entry.problem);
            continue;
        }
        replay_buffer::entry e{make_event(*entry.id, *entry.item), now};
        stats_.events_delivered += deliver_(e);
        history_.append(std::move(e));
        stats_.cluster_entries.inc("delivered");
        stats_.fanout_seconds.observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - read_at).count());
    }
    // A full read means more is waiting: we are as far behind as the last entry is old.
    stats_.cluster_lag_seconds =
        parsed.size() < read_count
            ? 0.0
            : std::max(0.0, static_cast<double>(event_id_generator::now_ms()) / 1000.0 -
                                static_cast<double>(position_->ms) / 1000.0);
    settle_waiting_resumes();
}

// --- resuming ------------------------------------------------------------------------------

void redis_event_log::settle_waiting_resumes()
{
    while (!waiting_resumes_.empty() && waiting_resumes_.begin()->first <= *position_) {
        auto node = waiting_resumes_.extract(waiting_resumes_.begin());
        node.mapped()(resume{node.key()});
    }
}

std::optional<event_log::resume> redis_event_log::resume_point(std::string_view last_event_id,
                                                               later<resume> done)
{
    auto const id = event_id::parse(last_event_id);
    if (!id || !position_)
        return resume{};
    if (auto const here = history_.resume_point(last_event_id))
        return resume{here};
    // Older than what this daemon read (it started later, or forgot), or newer than what it
    // has read so far: the stream decides.
    auto const text = id->to_string();
    writer_.async_command({"XRANGE", cfg_.cluster.stream, text, text, "COUNT", "1"},
                          [this, id = *id, done = std::move(done)](redis_reply const& r) {
                              if (r.type != kind::array || r.elements.empty() || stopped_)
                                  return done(resume{});
                              if (position_ && id <= *position_)
                                  return done(resume{id});
                              // Appended by another daemon, not read here yet: wait for it.
                              waiting_resumes_.emplace(id, done);
                          });
    return std::nullopt;
}

std::optional<replay_batch> redis_event_log::read_after(event_id cursor, filter const& wanted,
                                                        std::size_t max_bytes,
                                                        later<replay_batch> done)
{
    if (history_.covers(cursor))
        return history_.read_after(cursor, wanted, max_bytes);
    read_back(cursor, wanted, max_bytes, std::move(done));
    return std::nullopt;
}

void redis_event_log::read_back(event_id cursor, filter wanted, std::size_t max_bytes,
                                later<replay_batch> done)
{
    // One page, from the cursor itself up to where this daemon's memory begins: finding the
    // cursor first proves nothing after it was trimmed meanwhile.
    auto const origin = history_.origin();
    writer_.async_command(
        {"XRANGE", cfg_.cluster.stream, cursor.to_string(), origin.to_string(), "COUNT",
         std::to_string(page_count + 1)},
        [this, cursor, origin, wanted = std::move(wanted), max_bytes,
         done = std::move(done)](redis_reply const& reply) {
            replay_batch batch;
            batch.cursor = cursor;
            auto const entries = read_bus_entries(reply, cfg_.notify.max_body_bytes);
            if (reply.type != kind::array || entries.empty() || entries.front().id != cursor) {
                batch.lost = true;
                return done(std::move(batch));
            }
            std::size_t bytes = 0;
            std::size_t looked_at = 1;
            for (auto it = entries.begin() + 1; it != entries.end(); ++it, ++looked_at) {
                if (bytes >= max_bytes && !batch.frames.empty())
                    break;
                if (!it->id)
                    continue;
                batch.cursor = *it->id;
                if (!it->item)
                    continue;
                auto e = make_event(*it->id, *it->item);
                if (!wanted(e))
                    continue;
                bytes += e.frame->size();
                batch.frames.push_back(std::move(e.frame));
            }
            // The whole range up to the origin was read: memory takes over from there.
            if (looked_at == entries.size() && entries.size() <= page_count)
                batch.cursor = std::max(batch.cursor, origin);
            done(std::move(batch));
        });
}

void redis_event_log::expire()
{
    history_.expire(replay_buffer::clock::now());
}

void redis_event_log::do_trim()
{
    // Entries older than replay.max_age go from the stream too; any daemon may do it, and doing
    // it twice is harmless. The same period as the memory's expiry, at least once a minute.
    auto const period = std::clamp<milliseconds>(cfg_.replay.max_age / 4, milliseconds(1000),
                                                 milliseconds(60000));
    trim_timer_.expires_after(period);
    trim_timer_.async_wait([this](error_code ec) {
        if (ec || stopped_)
            return;
        auto const now = event_id_generator::now_ms();
        auto const age = static_cast<std::uint64_t>(cfg_.replay.max_age.count());
        if (writer_.connected() && now > age)
            writer_.async_command({"XTRIM", cfg_.cluster.stream, "MINID", "~",
                                   std::to_string(now - age) + "-0"},
                                  [](redis_reply const&) {});
        do_trim();
    });
}

} // namespace sse_server
