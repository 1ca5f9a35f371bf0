// bus_reader after a failover (SPEC §6): a promoted replica that had not received the newest
// entries. What Redis acknowledged to this daemon's appends, what the reader delivered, and the
// stream's last id tell it what may be gone.
#include "sse_server/log/bus_reader.hpp"

#include <algorithm>

namespace sse_server {

void bus_reader::note_appended(event_id id)
{
    newest_known_ = std::max(newest_known_, id);
    // Redis acknowledged it, so a read of the same Redis after this brings it. One at or below
    // the position was read already, or comes from a stream set back or re-created under the
    // position, which the next read finds by itself.
    if (!position_ || id <= start_ || id <= *position_)
        return;
    unread_acks_.insert(id);
    if (unread_acks_.size() > delivered_kept)
        unread_acks_.erase(unread_acks_.begin());
}

void bus_reader::settle_acks(event_id id, bool through)
{
    bool missed = false;
    while (!unread_acks_.empty() &&
           (*unread_acks_.begin() < id || (through && *unread_acks_.begin() == id))) {
        missed = true;
        unread_acks_.erase(unread_acks_.begin());
    }
    if (missed)
        report_loss(continuity::rolled_back);
}

bool bus_reader::rolled_back(stream_facts const& facts)
{
    // A failover to a replica that lacked the newest entries: the stream ends at an entry this
    // reader delivered. Everything up to there was delivered; what came after is gone from
    // the bus, and entries the reader had not read yet may have gone with it.
    if (!facts.exists || !facts.last_generated || !delivered_.holds(*facts.last_generated))
        return false;
    position_ = *facts.last_generated;
    anchor_.reset(); // its size is not known to be small: the next read checks by the counters
    ordinal_ = facts.entries_added;
    newest_known_ = *position_;
    unread_acks_.clear(); // what they were is told by the resync
    backlog_ = false;
    report_loss(continuity::rolled_back);
    do_read();
    return true;
}

} // namespace sse_server
