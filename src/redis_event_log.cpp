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

constexpr std::size_t page_count = 64; // entries per XRANGE page of a read-back

event make_event(event_id id, notification const& n)
{
    auto const text = id.to_string();
    // Stream ids never hold CR/LF and "db" is constant, so formatting cannot fail here.
    return event{id, n.name, n.id,
                 std::make_shared<std::string const>(
                     format_event(text, "db", n.body).value_or(std::string{})),
                 nullptr};
}

} // namespace

redis_event_log::redis_event_log(net::io_context& ioc, config const& cfg,
                                 redis_config const& bus, metrics& stats, sink deliver,
                                 broadcast to_all)
    : ioc_(ioc), cfg_(cfg), bus_(bus), stats_(stats), deliver_(std::move(deliver)),
      to_all_(std::move(to_all)), writer_(ioc, bus_, {"bus", true}),
      reader_(ioc, cfg, bus_, stats,
              {[this](event_id start) { forget_before(start); },
               [this](event_id id, notification const& n) { on_entry(id, n); },
               [this] { settle_waiting_resumes(); },
               [this](std::string_view) { on_lost(); }}),
      trim_timer_(ioc),
      history_(cfg.replay.capacity, cfg.replay.max_bytes, cfg.replay.max_age, event_id{})
{
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
    trim_timer_.cancel();
    reader_.stop();
    writer_.stop();
    // Streams waiting to resume get resync; while stopping, they are refused anyway.
    auto waiting = std::move(waiting_resumes_);
    for (auto& [id, done] : waiting)
        net::post(ioc_, [done = std::move(done)] { done(resume{}); });
}

std::optional<not_ready_reason> redis_event_log::not_ready() const
{
    if (auto why = reader_.not_ready())
        return why;
    if (!writer_.connected())
        return not_ready_reason{not_ready_cause::bus_unavailable,
                                "event bus unavailable: " + writer_.last_error()};
    return std::nullopt;
}

// --- what the reader reads -------------------------------------------------------------------

void redis_event_log::forget_before(event_id position)
{
    // Memory starts here: what came before is read back from the stream.
    history_ = replay_buffer(cfg_.replay.capacity, cfg_.replay.max_bytes, cfg_.replay.max_age,
                             position);
}

void redis_event_log::on_entry(event_id id, notification const& n)
{
    auto const read_at = std::chrono::steady_clock::now();
    replay_buffer::entry e{make_event(id, n), replay_buffer::clock::now()};
    stats_.events_delivered += deliver_(e);
    history_.append(std::move(e));
    stats_.cluster_entries.inc("delivered");
    stats_.fanout_seconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - read_at).count());
}

void redis_event_log::on_lost()
{
    // What this daemon remembers no longer joins up with what follows.
    forget_before(*reader_.position());
    to_all_(std::make_shared<std::string const>(
        *format_event("", "resync", R"({"reason":"history-lost"})")));
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

// --- resuming ------------------------------------------------------------------------------

void redis_event_log::settle_waiting_resumes()
{
    auto const position = reader_.position();
    while (!waiting_resumes_.empty() && position && waiting_resumes_.begin()->first <= *position) {
        auto node = waiting_resumes_.extract(waiting_resumes_.begin());
        node.mapped()(resume{node.key()});
    }
}

std::optional<event_log::resume> redis_event_log::resume_point(std::string_view last_event_id,
                                                               later<resume> done)
{
    auto const id = event_id::parse(last_event_id);
    if (!id || !reader_.position())
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
                              auto const position = reader_.position();
                              if (position && id <= *position)
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
