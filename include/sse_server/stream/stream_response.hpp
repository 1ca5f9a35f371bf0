#pragma once

#include "sse_server/base/net.hpp"
#include "sse_server/config/config.hpp"
#include "sse_server/event/event_id.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace sse_server {

/** The head of a stream response (SPEC §2.3): chunked for HTTP/1.1, plain and ended by the
    connection's close for HTTP/1.0. `cors_origin` is the request's Origin when allowed. */
std::string stream_response_head(unsigned version, std::string_view cors_origin);

/** What a stream starts with: `retry:`, then the `connected` event, whose id is `position`
    (where the stream is complete from), then `resync` when history was lost. */
std::string stream_greeting(milliseconds retry, event_id position, std::string_view origin,
                            std::string_view user_id, std::vector<std::string> const& events,
                            bool history_lost);

/** A refusal of the clients port: plain-text reason, and the headers its status calls for
    (`Retry-After` on 503, `WWW-Authenticate` on 401, `Allow` on 405). */
http::response<http::string_body> stream_refusal(http::status status, unsigned version,
                                                 std::string reason, milliseconds retry,
                                                 std::string_view cors_origin);

/** Answers a CORS preflight (for polyfills that send Authorization or Last-Event-ID). */
http::response<http::string_body> stream_preflight(unsigned version, std::string_view cors_origin);

/** `Access-Control-Allow-Origin` (echoed, never `*`) with credentials; nothing when empty. */
void set_cors_headers(http::fields& fields, std::string_view cors_origin);

/** How long one stream lives under `client.max_lifetime`: drawn uniformly within ±10 % of
    `max_lifetime`, so that the streams of a restart or a burst do not all end, and reconnect,
    at the same moment. Zero when `max_lifetime` is zero: the stream lives until it ends
    otherwise. */
milliseconds stream_lifetime(milliseconds max_lifetime, std::mt19937_64& random);

/** How long after SIGTERM one stream ends: drawn uniformly in [0, drain], `drain` being
    server.drain_period capped at half of server.shutdown_timeout (so that the last streams
    still end cleanly before the deadline). A restart then sends its clients back over the
    period, not all at once against Redis and the application. */
milliseconds drain_delay(milliseconds drain_period, milliseconds shutdown_timeout,
                         std::mt19937_64& random);

/** The `retry:` a stream ended by a shutdown gets last: drawn uniformly in [retry, 2 × retry],
    so that its clients' reconnects spread further. */
milliseconds farewell_retry(milliseconds retry, std::mt19937_64& random);

} // namespace sse_server
