#include "sse_server/log/redis_event_log.hpp"

#include "sse_server/event/audience.hpp"
#include "sse_server/event/sse_frame.hpp"
#include "sse_server/log/bus_page.hpp"
#include "sse_server/log/trim_settings.hpp"
#include "sse_server/ops/metrics.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <utility>

namespace sse_server {

namespace {

using kind = redis_reply::kind;

void ignore(redis_reply const&) {}

/** How often the stream is trimmed to replay.max_age and the trim settings are published: the
    memory's expiry period, at least once a minute. */
milliseconds trim_period(config const& cfg)
{
    return std::clamp<milliseconds>(cfg.replay.max_age / 4, milliseconds(1000),
                                    milliseconds(60000));
}

} // namespace

redis_event_log::redis_event_log(net::io_context& ioc, config const& cfg,
                                 redis_config const& bus, metrics& stats, sink deliver,
                                 broadcast to_all, recheck check_users)
    : ioc_(ioc), cfg_(cfg), bus_(bus), stats_(stats), deliver_(std::move(deliver)),
      to_all_(std::move(to_all)), check_users_(std::move(check_users)),
      writer_(ioc, bus_, {"bus", true}),
      back_reader_(ioc, bus_, {"bus read-back", false}), page_digest_(bus_page_digest()),
      reader_(ioc, cfg, bus_, stats,
              {[this](event_id start) { forget_before(start); },
               [this](event_id id, notification const& n) { on_entry(id, n); },
               [this] { settle_waiting_resumes(); },
               [this](continuity why) { on_lost(why); },
               [this](std::vector<std::string> const& users, std::function<void()> done) {
                   check_users_(users, std::move(done));
               }}),
      trim_timer_(ioc),
      settings_field_(settings_field({cfg.cluster.max_len, cfg.replay.max_age})),
      history_(cfg.replay.capacity, cfg.replay.max_bytes, cfg.replay.max_age, event_id{})
{
    writer_.on_state_change([this](bool up) {
        if (up && !stopped_)
            publish_settings(); // at once, not one period after the start
    });
}

void redis_event_log::start()
{
    stopped_ = false;
    writer_.start();
    back_reader_.start();
    reader_.start();
    do_trim();
}

void redis_event_log::stop()
{
    stopped_ = true;
    trim_timer_.cancel();
    reader_.stop();
    back_reader_.stop();
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

event redis_event_log::make_event(event_id id, notification const& n)
{
    auto const text = id.to_string();
    // Stream ids never hold CR/LF and "db" is constant, so formatting cannot fail here.
    return event{id, n.name, n.id,
                 std::make_shared<std::string const>(
                     format_event(text, "db", n.body).value_or(std::string{})),
                 n.audience};
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

void redis_event_log::on_lost(continuity why)
{
    // What this daemon remembers no longer joins up with what follows.
    forget_before(*reader_.position());
    auto const streams = to_all_(std::make_shared<std::string const>(
        *format_event("", "resync", R"({"reason":"history-lost"})")));
    stats_.resyncs.inc(why == continuity::recreated ? "bus_recreated" : "bus_trimmed", streams);
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
        if (n.audience)
            return {"XADD", key, "MAXLEN", "~", max_len, "*", "n", n.body, "a", n.audience->json()};
        return {"XADD", key, "MAXLEN", "~", max_len, "*", "n", n.body};
    };
    auto const count = items.size();
    auto finish = [this, done = std::move(done)](std::vector<redis_reply> const& ids,
                                                 std::string const& error) {
        append_result result;
        for (auto const& id : ids) {
            if (id.type != kind::value) {
                result.ids.clear();
                result.unavailable = id.text;
                break;
            }
            result.ids.push_back(id.text);
            // The stream holds at least this much: the lag counts from it until it is read.
            if (auto const appended = event_id::parse(id.text))
                reader_.note_appended(*appended);
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

void redis_event_log::append_revalidation(std::vector<std::string> const& users,
                                          later<std::optional<std::string>> done)
{
    if (!writer_.connected()) {
        auto const& why = writer_.last_error();
        net::post(ioc_, [done = std::move(done), why = why.empty() ? "not connected" : why] {
            done(why);
        });
        return;
    }
    writer_.async_command({"XADD", cfg_.cluster.stream, "MAXLEN", "~",
                           std::to_string(cfg_.cluster.max_len), "*", "r", user_list_json(users)},
                          [this, done = std::move(done)](redis_reply const& reply) {
                              if (reply.type != kind::value)
                                  return done(reply.text);
                              if (auto const appended = event_id::parse(reply.text))
                                  reader_.note_appended(*appended);
                              done(std::nullopt);
                          });
}

void redis_event_log::expire()
{
    history_.expire(replay_buffer::clock::now());
}

void redis_event_log::do_trim()
{
    // Entries older than replay.max_age go from the stream too; any daemon may do it, and doing
    // it twice is harmless.
    trim_timer_.expires_after(trim_period(cfg_));
    trim_timer_.async_wait([this](error_code ec) {
        if (ec || stopped_)
            return;
        auto const now = event_id_generator::now_ms();
        auto const age = static_cast<std::uint64_t>(cfg_.replay.max_age.count());
        if (writer_.connected() && now > age)
            writer_.async_command({"XTRIM", cfg_.cluster.stream, "MINID", "~",
                                   std::to_string(now - age) + "-0"},
                                  ignore);
        if (writer_.connected())
            publish_settings();
        do_trim();
    });
}

void redis_event_log::publish_settings()
{
    // Kept for three periods: a daemon that stops (or trims no more) drops out by itself.
    auto const key = cfg_.cluster.stream + ":settings";
    auto const keep = 3 * trim_period(cfg_);
    auto const now = event_id_generator::now_ms();
    writer_.async_command(
        {"HSET", key, settings_field_,
         std::to_string(now + static_cast<std::uint64_t>(keep.count()))},
        ignore);
    writer_.async_command({"PEXPIRE", key, std::to_string(keep.count())}, ignore);
    writer_.async_command({"HGETALL", key}, [this, key, now](redis_reply const& all) {
        if (stopped_ || all.type != kind::array)
            return;
        auto seen = read_settings(all, settings_field_, now);
        if (!seen.expired.empty()) {
            std::vector<std::string> hdel{"HDEL", key};
            hdel.insert(hdel.end(), seen.expired.begin(), seen.expired.end());
            writer_.async_command(hdel, ignore);
        }
        if (seen.others == other_settings_)
            return;
        if (seen.others.empty())
            spdlog::info("event bus: every daemon trims {} alike again ({})", cfg_.cluster.stream,
                         settings_field_);
        else
            spdlog::warn("event bus: trim settings differ between the daemons on {}: this one "
                         "has {}, others {}; every daemon trims for all, so the smallest wins",
                         cfg_.cluster.stream, settings_field_, fmt::join(seen.others, ", "));
        stats_.cluster_trim_settings_mismatch = !seen.others.empty();
        other_settings_ = std::move(seen.others);
    });
}

} // namespace sse_server
