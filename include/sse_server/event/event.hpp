#pragma once

#include "sse_server/event/audience.hpp"
#include "sse_server/event/event_id.hpp"
#include "sse_server/event/sse_frame.hpp"

#include <memory>
#include <string>
#include <vector>

namespace sse_server {

/** One event on its way to the streams: its id, what routes it, and its frame, formatted once
    and shared by every stream that gets it (live or in a replay). */
struct event
{
    event_id id;
    std::string name;    // the notification's name: matches subscriptions
    std::string user_id; // the notification's id: matches the account rule
    frame_ptr frame;     // `id:`, `event: db`, `data:` lines
    std::shared_ptr<sse_server::audience const> audience; // who it is for; null: everyone
};

/** A slice of history for a resuming stream: the frames after a cursor that it wants. */
struct replay_batch
{
    std::vector<frame_ptr> frames;
    event_id cursor;       // the last event looked at, wanted or not
    bool complete = false; // nothing newer is kept: the stream is up to date
    bool lost = false;     // events after the cursor went before they could be read
};

} // namespace sse_server
