#pragma once

#include "sse_server/config/config.hpp"
#include "sse_server/event/event_id.hpp"
#include "sse_server/log/event_log.hpp"
#include "sse_server/log/replay_buffer.hpp"

namespace sse_server {

/** The standalone event log: ids from this process's clock (`<ms>-<seq>`), history in a
    bounded replay buffer, every event delivered to the sink as it is appended. Nothing here
    waits, so every call answers at once. Owned by `server`. */
class memory_event_log final : public event_log
{
public:
    /** History is bounded by `replay` (capacity, max_bytes, max_age). */
    memory_event_log(replay_config const& replay, sink deliver);

    std::optional<append_result> append(std::vector<notification> const& items,
                                        later<append_result> done) override;
    event_id newest() const override { return history_.newest(); }
    std::optional<resume> resume_point(std::string_view last_event_id,
                                       later<resume> done) override;
    std::optional<replay_batch> read_after(event_id cursor, filter const& wanted,
                                           std::size_t max_bytes,
                                           later<replay_batch> done) override;
    void expire() override;
    std::size_t history_bytes() const override { return history_.bytes(); }

    /** The events kept for resume. */
    std::size_t kept() const { return history_.size(); }

private:
    sink deliver_;
    event_id_generator ids_;
    replay_buffer history_;
};

} // namespace sse_server
