#include "sse_server/stream/stream_response.hpp"

#include "sse_server/event/sse_frame.hpp"

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/write.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <random>
#include <sstream>

namespace sse_server {

std::string stream_response_head(unsigned version, std::string_view cors_origin)
{
    http::response<http::empty_body> res{http::status::ok, version};
    res.set(http::field::server, "sse-server");
    res.set(http::field::content_type, "text/event-stream; charset=utf-8");
    // no-transform: compressing proxies would otherwise hold events back to fill a block.
    res.set(http::field::cache_control, "no-cache, no-transform");
    res.set("X-Accel-Buffering", "no");
    set_cors_headers(res, cors_origin);
    if (version >= 11)
        res.chunked(true);
    else
        res.keep_alive(false);
    std::ostringstream head;
    head << res.base();
    return std::move(head).str();
}

std::string stream_greeting(milliseconds retry, event_id position, std::string_view origin,
                            std::string_view user_id, std::vector<std::string> const& events,
                            bool history_lost)
{
    nlohmann::ordered_json hello;
    hello["origin"] = origin;
    hello["user"] = user_id;
    hello["events"] = events;
    // User ids come from Redis and may hold any bytes: replace invalid UTF-8, never throw.
    auto const data = hello.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    // Event names and our ids never hold CR or LF: formatting cannot fail.
    auto greeting = format_retry(retry) + *format_event(position.to_string(), "connected", data);
    if (history_lost)
        greeting += *format_event("", "resync", R"({"reason":"history-lost"})");
    return greeting;
}

http::response<http::string_body> stream_refusal(http::status status, unsigned version,
                                                 std::string reason, milliseconds retry,
                                                 std::string_view cors_origin)
{
    http::response<http::string_body> res{status, version};
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    // A refusal that passes says when to come back: `client.retry`, in whole seconds.
    bool const passes = status == http::status::service_unavailable ||
                        status == http::status::too_many_requests;
    if (passes)
        res.set(http::field::retry_after,
                std::to_string(std::max<long long>(1, (retry.count() + 999) / 1000)));
    if (status == http::status::unauthorized)
        res.set(http::field::www_authenticate, "Bearer");
    if (status == http::status::method_not_allowed)
        res.set(http::field::allow, "GET, OPTIONS");
    set_cors_headers(res, cors_origin);
    // A page on another origin may read it only when told so (the browser client backs off
    // by it).
    if (passes && !cors_origin.empty())
        res.set(http::field::access_control_expose_headers, "Retry-After");
    res.body() = std::move(reason) + "\n";
    return res;
}

http::response<http::string_body> stream_preflight(unsigned version, std::string_view cors_origin)
{
    http::response<http::string_body> res{http::status::no_content, version};
    if (cors_origin.empty())
        return res; // not an allowed origin: the browser blocks the request
    set_cors_headers(res, cors_origin);
    res.set(http::field::access_control_allow_methods, "GET");
    res.set(http::field::access_control_allow_headers,
            "Authorization, X-API-Key, Last-Event-ID, Cache-Control");
    res.set(http::field::access_control_max_age, "600");
    return res;
}

void set_cors_headers(http::fields& fields, std::string_view cors_origin)
{
    if (cors_origin.empty())
        return;
    fields.set(http::field::access_control_allow_origin, cors_origin);
    fields.set(http::field::access_control_allow_credentials, "true");
    fields.set(http::field::vary, "Origin");
}

milliseconds stream_lifetime(milliseconds max_lifetime, std::mt19937_64& random)
{
    if (max_lifetime <= milliseconds::zero())
        return milliseconds::zero();
    auto const spread = max_lifetime.count() / 10;
    std::uniform_int_distribution<milliseconds::rep> draw{max_lifetime.count() - spread,
                                                          max_lifetime.count() + spread};
    return milliseconds{draw(random)};
}

milliseconds drain_delay(milliseconds drain_period, milliseconds shutdown_timeout,
                         std::mt19937_64& random)
{
    auto const drain = std::min(drain_period, shutdown_timeout / 2);
    if (drain <= milliseconds::zero())
        return milliseconds::zero();
    std::uniform_int_distribution<milliseconds::rep> draw{0, drain.count()};
    return milliseconds{draw(random)};
}

milliseconds farewell_retry(milliseconds retry, std::mt19937_64& random)
{
    std::uniform_int_distribution<milliseconds::rep> draw{retry.count(), 2 * retry.count()};
    return milliseconds{draw(random)};
}

} // namespace sse_server
