// bus_reader's connections and reads: positioning, key tracking, one page at a time, waiting
// when caught up, and the verdict on what came before each page. Delivering a page's entries is
// in bus_reader_deliver.cpp.
#include "sse_server/log/bus_reader.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace sse_server {

namespace {

using kind = redis_reply::kind;

constexpr milliseconds retry_after_fault{1000}; // a key of the wrong type, an error reply
// Between pages, when caught up: with a wake-up, only a check that Redis still answers (and a
// read when that is cheap); without one, a read.
constexpr milliseconds idle_check{1000};
constexpr milliseconds poll_period{100};
// A page: what one read may bring (at least one entry, whatever its size).
constexpr std::size_t page_bytes = std::size_t{1024} * 1024;
constexpr std::size_t page_entries = 1000;

} // namespace

bus_reader::bus_reader(net::io_context& ioc, config const& cfg, redis_config const& bus,
                       metrics& stats, handlers on)
    : ioc_(ioc), cfg_(cfg), bus_(bus), stats_(stats), on_(std::move(on)), redis_(ioc, bus_, {"bus reader", false}),
      wakeup_(ioc, bus_,
              {[this](std::optional<std::string> const& id) { on_wakeup_ready(id); },
               [this] { on_changed(); }}),
      timer_(ioc), page_digest_(bus_page_digest()), delivered_(delivered_kept),
      skipped_log_(std::chrono::seconds(10))
{
    redis_.on_state_change([this](bool up) { on_state(up); });
}

void bus_reader::start()
{
    stopped_ = false;
    redis_.start();
    wakeup_.start();
}

void bus_reader::stop()
{
    stopped_ = true;
    ++read_generation_;
    timer_.cancel();
    wakeup_.stop();
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

double bus_reader::lag_seconds() const
{
    if (!position_)
        return 0;
    auto newest = newest_known_.ms;
    // A read that stopped at its bound leaves entries of unknown age: at most now.
    if (backlog_)
        newest = std::max(newest, event_id_generator::now_ms());
    // Caught up at some time, everything up to then was delivered, however old the last entry.
    auto const delivered = std::max(position_->ms, caught_up_ms_);
    return newest > delivered ? static_cast<double>(newest - delivered) / 1000.0 : 0.0;
}

// --- connections ----------------------------------------------------------------------------

void bus_reader::on_state(bool up)
{
    tracking_ = false;
    if (!up || stopped_)
        return;
    // A fresh connection: whatever read was pending is gone with the old one, and so is its
    // tracking.
    ++read_generation_;
    reading_ = false;
    page_.clear();
    if (wakeup_id_)
        do_track();
    do_read();
}

void bus_reader::on_wakeup_ready(std::optional<std::string> const& client_id)
{
    wakeup_id_ = client_id;
    tracking_ = false;
    if (client_id && redis_.connected())
        do_track();
    on_changed(); // what changed before tracking began; or, without it, polled from now on
}

void bus_reader::do_track()
{
    auto const& key = cfg_.cluster.stream;
    redis_.async_command({"CLIENT", "TRACKING", "OFF"}, [](redis_reply const&) {});
    redis_.async_command(
        {"CLIENT", "TRACKING", "ON", "REDIRECT", *wakeup_id_, "BCAST", "PREFIX", key},
        [this, id = *wakeup_id_](redis_reply const& r) {
            if (stopped_ || wakeup_id_ != id)
                return;
            tracking_ = r.type == kind::value;
            // (A wake-up connection that went away meanwhile is followed by its successor.)
            if (r.type == kind::error && r.text.find("redirect") == std::string::npos)
                spdlog::warn("event bus: Redis does not track {} ({}): polling it every {} ms",
                             cfg_.cluster.stream, r.text, poll_period.count());
        });
}

void bus_reader::on_changed()
{
    if (stopped_ || !redis_.connected())
        return;
    if (reading_) {
        changed_ = true; // read again once this page is delivered
        return;
    }
    timer_.cancel();
    do_read();
}

// --- reading --------------------------------------------------------------------------------

void bus_reader::do_read()
{
    if (stopped_ || reading_)
        return;
    reading_ = true;
    changed_ = false;
    asked_ms_ = event_id_generator::now_ms();
    read_at_ = net::steady_timer::clock_type::now();
    acks_asked_ = unread_acks_.empty() ? event_id{} : *unread_acks_.rbegin();
    auto const generation = ++read_generation_;
    bus_page_request request;
    request.key = cfg_.cluster.stream;
    request.after = position_; // none yet: the facts that fix it
    request.anchor = anchor_;
    request.byte_budget = page_bytes;
    request.max_entries = page_entries;
    request.max_body_bytes = cfg_.notify.max_body_bytes;
    async_bus_page(redis_, request, page_digest_,
                   [this, generation](redis_reply const& r) { on_page(generation, r); });
}

void bus_reader::read_again()
{
    auto const due = read_at_ + min_read_gap;
    if (net::steady_timer::clock_type::now() >= due)
        return do_read();
    // Reading until then: a change meanwhile is noted (on_changed), not read at once.
    reading_ = true;
    auto const generation = read_generation_;
    timer_.expires_at(due);
    timer_.async_wait([this, generation](error_code ec) {
        // A reconnect meanwhile started reading afresh (a new generation).
        if (ec || stopped_ || generation != read_generation_)
            return;
        reading_ = false;
        do_read();
    });
}

void bus_reader::on_page(std::uint64_t generation, redis_reply const& reply)
{
    if (stopped_ || generation != read_generation_)
        return;
    reading_ = false;
    if (reply.type == kind::unavailable)
        return; // reading goes on from the reconnect (on_state)
    if (reply.type == kind::error)
        return retry_later("event bus: " + reply.text);
    auto page = read_bus_page(reply);
    if (!page)
        return retry_later("event bus: unexpected reply to the read of " + cfg_.cluster.stream);
    if (page->wrong_type)
        return retry_later("the key " + cfg_.cluster.stream + " is not a stream (type " +
                           *page->wrong_type + ")");
    fault_.clear();
    if (!position_) {
        position_at(page->facts);
        return do_read();
    }
    if (follow_on(*page))
        deliver(read_generation_);
}

void bus_reader::position_at(stream_facts const& facts)
{
    // The last id the stream ever gave out, even when every entry has been trimmed since:
    // whatever is appended later is for us. A stream that does not exist yet starts at 0-0.
    position_ = facts.exists ? facts.last_generated.value_or(event_id{}) : event_id{};
    start_ = *position_;
    ordinal_ = facts.exists ? facts.entries_added : std::optional<std::uint64_t>{0};
    newest_known_ = std::max(newest_known_, *position_);
    caught_up_ms_ = asked_ms_;
    on_.positioned(*position_);
    spdlog::info("event bus: reading {} after {}", cfg_.cluster.stream, position_->to_string());
}

bool bus_reader::follow_on(bus_page& page)
{
    auto const& facts = page.facts;
    switch (judge_continuity(*position_, facts, ordinal_)) {
    case continuity::recreated:
        if (rolled_back(facts))
            return false;
        // Every id the stream gives out now is below the position: read it from its start.
        position_ = event_id{};
        newest_known_ = event_id{};
        unread_acks_.clear();
        anchor_.reset();
        ordinal_ = 0;
        backlog_ = false;
        report_loss(continuity::recreated);
        do_read();
        return false;
    case continuity::trimmed:
        unread_acks_.clear(); // what they were is told by the resync
        anchor_.reset();
        // Every entry still there is newer than the position: counting from the first of them.
        ordinal_.reset();
        if (facts.entries_added && *facts.entries_added >= facts.length)
            ordinal_ = *facts.entries_added - facts.length;
        if (page.entries.empty() && facts.last_generated)
            position_ = std::max(*position_, *facts.last_generated);
        report_loss(continuity::trimmed);
        break;
    case continuity::intact:
    case continuity::rolled_back:
        if (facts.last_generated == position_ && facts.entries_added)
            ordinal_ = facts.entries_added; // nothing after the position: known afresh
        break;
    }
    if (facts.last_generated)
        newest_known_ = std::max(newest_known_, *facts.last_generated);
    if (!page.entries.empty())
        newest_known_ = std::max(newest_known_, page.entries.back().id);
    backlog_ = page.more;
    page_ = std::move(page.entries);
    page_next_ = 0;
    reading_ = true; // until its entries are delivered
    return true;
}

void bus_reader::do_wait()
{
    // Caught up. With a wake-up, what comes next is signalled; the timer only checks that
    // Redis still answers, reading when that costs one small entry. Without, it polls.
    auto const wait = tracking_ ? idle_check : poll_period;
    timer_.expires_after(wait);
    timer_.async_wait([this](error_code ec) {
        if (ec || stopped_ || reading_ || !redis_.connected())
            return;
        if (!tracking_ || anchor_)
            return do_read();
        reading_ = true;
        auto const generation = ++read_generation_;
        auto const asked = event_id_generator::now_ms();
        redis_.async_command({"PING"}, [this, generation, asked](redis_reply const& r) {
            if (stopped_ || generation != read_generation_)
                return;
            reading_ = false;
            if (changed_ || !tracking_)
                return do_read();
            // Tracked and unchanged: still caught up.
            if (r.type == kind::value)
                caught_up_ms_ = asked;
            do_wait();
        });
    });
}

void bus_reader::retry_later(std::string fault)
{
    if (fault != fault_)
        spdlog::error("{}; retrying every {} ms", fault, retry_after_fault.count());
    fault_ = std::move(fault);
    timer_.expires_after(retry_after_fault);
    timer_.async_wait([this](error_code ec) {
        if (!ec && !stopped_ && redis_.connected())
            do_read();
    });
}

void bus_reader::report_loss(continuity why)
{
    char const* what = "entries this daemon had not read were trimmed";
    if (why == continuity::recreated)
        what = "the stream was re-created behind this daemon's position";
    else if (why == continuity::rolled_back)
        what = "entries Redis had acknowledged are gone (a failover to a replica that had not "
               "received them)";
    spdlog::warn("event bus: {}: open streams get resync", what);
    on_.lost(why);
}

} // namespace sse_server
