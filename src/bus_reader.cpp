#include "sse_server/bus_reader.hpp"

#include "sse_server/bus_entry.hpp"
#include "sse_server/metrics.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <utility>

namespace sse_server {

namespace {

using kind = redis_reply::kind;

constexpr milliseconds block_for{1000};         // one blocking XREAD
constexpr milliseconds retry_after_fault{1000}; // a key of the wrong type, an error reply
constexpr std::size_t read_count = 1000;        // entries per XREAD

std::uint64_t number(redis_reply const* r)
{
    return r && r->type == kind::value ? std::strtoull(r->text.c_str(), nullptr, 10) : 0;
}

/** The value of `name` in a flat [name, value, …] reply (XINFO STREAM); null when absent. */
redis_reply const* reply_field(redis_reply const& flat, std::string_view name)
{
    if (flat.type != kind::array)
        return nullptr;
    for (std::size_t i = 0; i + 1 < flat.elements.size(); i += 2)
        if (flat.elements[i].type == kind::value && flat.elements[i].text == name)
            return &flat.elements[i + 1];
    return nullptr;
}

} // namespace

bus_reader::bus_reader(net::io_context& ioc, config const& cfg, redis_config const& bus,
                       metrics& stats, handlers on)
    : cfg_(cfg), bus_(bus), stats_(stats), on_(std::move(on)), redis_(ioc, bus_, {"bus reader", false}),
      retry_timer_(ioc)
{
    redis_.on_state_change([this](bool up) { on_state(up); });
}

void bus_reader::start()
{
    stopped_ = false;
    redis_.start();
}

void bus_reader::stop()
{
    stopped_ = true;
    ++read_generation_;
    retry_timer_.cancel();
    redis_.stop();
}

std::optional<not_ready_reason> bus_reader::not_ready() const
{
    if (!fault_.empty())
        return not_ready_reason{not_ready_cause::bus_unavailable, fault_};
    if (!redis_.connected())
        return not_ready_reason{not_ready_cause::bus_unavailable,
                                "event bus unavailable: " + redis_.last_error()};
    if (!position_)
        return not_ready_reason{not_ready_cause::bus_not_positioned,
                                "event bus: reading position not fixed yet"};
    return std::nullopt;
}

void bus_reader::on_state(bool up)
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

void bus_reader::do_position()
{
    auto type = std::make_shared<redis_reply>();
    auto const& key = cfg_.cluster.stream;
    redis_.async_command({"TYPE", key}, [type](redis_reply const& r) { *type = r; });
    redis_.async_command({"XINFO", "STREAM", key}, [this, type](redis_reply const& info) {
        if (!stopped_)
            on_position(*type, info);
    });
}

void bus_reader::on_position(redis_reply const& type, redis_reply const& info)
{
    if (type.type == kind::unavailable || info.type == kind::unavailable)
        return; // the reconnect starts over
    if (type.type != kind::value || (type.text != "stream" && type.text != "none"))
        return retry_later("the key " + cfg_.cluster.stream + " is not a stream (type " +
                           type.text + ")");
    // The last id the stream ever gave out, even when every entry has been trimmed since:
    // whatever is appended later is for us. A stream that does not exist yet starts at 0-0.
    event_id start{};
    if (auto const* last = reply_field(info, "last-generated-id"))
        start = event_id::parse(last->text).value_or(event_id{});
    fault_.clear();
    position_ = start;
    on_.positioned(start);
    spdlog::info("event bus: reading {} after {}", cfg_.cluster.stream, start.to_string());
    do_read();
}

void bus_reader::do_check_gap()
{
    auto info = std::make_shared<redis_reply>();
    auto const& key = cfg_.cluster.stream;
    auto const at = position_->to_string();
    redis_.async_command({"XINFO", "STREAM", key}, [info](redis_reply const& r) { *info = r; });
    redis_.async_command({"XRANGE", key, at, at}, [this, info](redis_reply const& r) {
        if (!stopped_)
            on_check_gap(*info, r);
    });
}

void bus_reader::on_check_gap(redis_reply const& info, redis_reply const& at_position)
{
    if (info.type == kind::unavailable || at_position.type == kind::unavailable)
        return; // the reconnect starts over
    if (at_position.type == kind::error)
        return retry_later("event bus: " + at_position.text);
    // Trimming removes the oldest entries first: nothing after our position is gone when the
    // position itself is still there, or is the last id ever given out. A stream that did not
    // exist when we started lost nothing when every entry ever added is still in it.
    bool intact = !at_position.elements.empty();
    if (auto const* last = reply_field(info, "last-generated-id"))
        intact = intact || event_id::parse(last->text) == position_;
    else if (info.type == kind::error)
        intact = intact || *position_ == event_id{}; // still no such key
    if (*position_ == event_id{} && info.type == kind::array)
        intact = intact ||
                 number(reply_field(info, "entries-added")) == number(reply_field(info, "length"));
    fault_.clear();
    if (!intact)
        report_loss("entries were trimmed while the bus connection was down");
    do_read();
}

void bus_reader::do_read()
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
        redis_.async_command({"XRANGE", key, at, at},
                              [at_position](redis_reply const& r) { *at_position = r; });
    redis_.async_command(
        {"XREAD", "COUNT", std::to_string(read_count), "BLOCK", std::to_string(block_for.count()),
         "STREAMS", key, at},
        [this, generation, at_position, checked = *position_ != event_id{}](redis_reply const& r) {
            bool const position_gone =
                checked && at_position->type == kind::array && at_position->elements.empty();
            on_read(generation, position_gone, r);
        },
        block_for + bus_.timeout);
}

void bus_reader::on_read(std::uint64_t generation, bool position_gone,
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
        report_loss("this daemon fell behind the stream's trimming");
    if (entries)
        take(*entries);
    else
        stats_.cluster_lag_seconds = 0;
    do_read();
}

void bus_reader::retry_later(std::string fault)
{
    if (fault != fault_)
        spdlog::error("{}; retrying every {} ms", fault, retry_after_fault.count());
    fault_ = std::move(fault);
    retry_timer_.expires_after(retry_after_fault);
    retry_timer_.async_wait([this](error_code ec) {
        if (ec || stopped_ || !redis_.connected())
            return;
        if (!position_)
            do_position();
        else
            do_check_gap();
    });
}

void bus_reader::report_loss(std::string_view why)
{
    spdlog::warn("event bus: {}: open streams get resync", why);
    lost_at_ = position_;
    on_.lost(why);
}

void bus_reader::take(redis_reply const& entries)
{
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
        on_.entry(*entry.id, *entry.item);
    }
    // A full read means more is waiting: we are as far behind as the last entry is old.
    stats_.cluster_lag_seconds =
        parsed.size() < read_count
            ? 0.0
            : std::max(0.0, static_cast<double>(event_id_generator::now_ms()) / 1000.0 -
                                static_cast<double>(position_->ms) / 1000.0);
    on_.read_done();
}

} // namespace sse_server
