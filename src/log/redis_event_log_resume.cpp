// redis_event_log's resumes: where a resuming stream continues, and the history this daemon no
// longer (or never) kept, read back from the stream in pages on a connection of their own.
#include "sse_server/log/redis_event_log.hpp"

#include "sse_server/log/bus_entry.hpp"
#include "sse_server/log/bus_page.hpp"

#include <algorithm>
#include <utility>

namespace sse_server {

namespace {

constexpr std::size_t page_entries = 1000; // at most, per page of a read-back (and bytes)

} // namespace

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
    // has read so far: the stream decides, without sending the entry.
    bus_page_request check;
    check.key = cfg_.cluster.stream;
    check.anchor = *id;
    async_bus_page(
        back_reader_, check, page_digest_,
        [this, id = *id, done = std::move(done)](redis_reply const& r) {
            auto const page = read_bus_page(r);
            if (stopped_ || !page || page->wrong_type ||
                judge_continuity(id, page->facts, std::nullopt) != continuity::intact)
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
    // One page, bounded in bytes, after the cursor up to where this daemon's memory begins; the
    // cursor's continuity is checked in the same step, so nothing after it was trimmed unseen.
    auto const origin = history_.origin();
    bus_page_request request;
    request.key = cfg_.cluster.stream;
    request.after = cursor;
    request.anchor = cursor;
    request.last = origin;
    request.byte_budget = max_bytes;
    request.max_entries = page_entries;
    request.max_body_bytes = cfg_.notify.max_body_bytes;
    async_bus_page(
        back_reader_, request, page_digest_,
        [this, cursor, origin, wanted = std::move(wanted),
         done = std::move(done)](redis_reply const& reply) {
            replay_batch batch;
            batch.cursor = cursor;
            auto const page = read_bus_page(reply);
            if (!page || page->wrong_type ||
                judge_continuity(cursor, page->facts, std::nullopt) != continuity::intact) {
                batch.lost = true;
                return done(std::move(batch));
            }
            for (auto const& raw : page->entries) {
                batch.cursor = raw.id;
                auto entry = check_bus_entry(raw, cfg_.notify.max_body_bytes);
                if (!entry.item)
                    continue;
                auto e = make_event(raw.id, *entry.item);
                if (wanted(e))
                    batch.frames.push_back(std::move(e.frame));
            }
            // The whole range up to the origin was read: memory takes over from there.
            if (!page->more)
                batch.cursor = std::max(batch.cursor, origin);
            done(std::move(batch));
        });
}

} // namespace sse_server
