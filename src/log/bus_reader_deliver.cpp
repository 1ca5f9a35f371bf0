// bus_reader's delivering side: the entries of a page validated and delivered a slice per loop
// turn, and the entries skipped, counted and logged.
#include "sse_server/log/bus_entry.hpp"
#include "sse_server/log/bus_reader.hpp"
#include "sse_server/ops/metrics.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace sse_server {

namespace {

// A slice: what one loop turn validates and delivers before it lets others run.
constexpr std::size_t slice_bytes = std::size_t{256} * 1024;
constexpr std::size_t slice_entries = 256;

} // namespace

void bus_reader::deliver(std::uint64_t generation)
{
    if (stopped_ || generation != read_generation_)
        return;
    std::size_t bytes = 0;
    std::size_t entries = 0;
    while (page_next_ < page_.size() && entries < slice_entries && bytes < slice_bytes) {
        auto& raw = page_[page_next_++];
        if (raw.id <= *position_)
            continue; // never twice
        ++entries;
        bytes += raw.n || raw.r ? raw.n_bytes : 0;
        auto const entry = check_bus_entry(raw, cfg_.notify.max_body_bytes);
        // An acknowledged append this read passed without bringing is gone: the resync goes
        // before what follows the gap.
        if (!unread_acks_.empty()) {
            settle_acks(raw.id, false);
            unread_acks_.erase(raw.id);
        }
        position_ = raw.id;
        delivered_.add(raw.id);
        if (ordinal_)
            ++*ordinal_;
        // Its presence proves nothing after it was trimmed, and checking it is cheap.
        if (raw.n || raw.r)
            anchor_ = raw.id;
        raw = bus_page_entry{raw.id, std::nullopt, 0, std::nullopt, std::nullopt};
        if (entry.item) {
            on_.entry(entry.id, *entry.item);
        } else if (entry.revalidate) {
            // Nothing after it reaches a stream before that stream was checked again: the rest
            // waits until every check is answered.
            on_.read_done();
            on_.revalidate(*entry.revalidate, [this, generation] {
                net::post(ioc_, [this, generation] { deliver(generation); });
            });
            return;
        } else {
            skip(entry);
        }
    }
    on_.read_done();
    if (page_next_ < page_.size()) {
        // The rest after whatever else waits: health checks, posts, streams.
        net::post(ioc_, [this, generation] { deliver(generation); });
        return;
    }
    page_.clear();
    reading_ = false;
    // A read to the end of the stream brings every append acknowledged before it was asked.
    if (!backlog_ && !unread_acks_.empty())
        settle_acks(acks_asked_, true);
    if (backlog_)
        return do_read();
    if (changed_)
        return read_again();
    caught_up_ms_ = asked_ms_; // everything appended before that read is delivered
    do_wait();
}

void bus_reader::skip(bus_entry const& entry)
{
    bool const oversized = entry.problem == oversized_problem;
    stats_.cluster_entries.inc(oversized ? "oversized" : "invalid");
    auto const now = log_limiter::clock::now();
    for (auto const& summary : skipped_log_.take_expired(now))
        spdlog::warn("event bus: {} more entries skipped: {}", summary.count, summary.kind);
    if (!skipped_log_.admit(entry.problem, now))
        return;
    if (oversized)
        spdlog::warn("event bus: skipped entry {}: n of {} bytes, larger than "
                     "notify.max_body_bytes ({}), left unread (logged once per 10 s)",
                     entry.id.to_string(), entry.n_bytes, cfg_.notify.max_body_bytes);
    else
        spdlog::warn("event bus: skipped entry {}: {} (logged once per 10 s)",
                     entry.id.to_string(), entry.problem);
}

} // namespace sse_server
