#pragma once

#include "sse_server/base/net.hpp"
#include "sse_server/log/event_log.hpp"
#include "sse_server/ops/readiness.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sse_server {

struct config;
struct metrics;
class registry;

/** One answer of the notification port, before it is written. */
struct notify_answer
{
    http::status status = http::status::ok;
    std::string body;
    std::string_view content_type = "application/json";
    std::string_view allow; // 405: the methods the path takes
    unsigned retry_after = 0; // 503: seconds after which the API may try again; 0 = no header
};

/** Which requests a port of the notification API serves: everything (listen.notify), or
    health, readiness and metrics only (listen.metrics), where /notify is not found. */
enum class notify_routes
{
    all,
    health_only
};

/** What the notification port does with a request (SPEC §3), without the I/O: routes it,
    checks the token, validates notifications and appends them to the event log, renders
    metrics, counts every refusal. The session reads, pipelines and writes; this decides.
    Owned by `server`. */
class notify_handler
{
public:
    using answer_later = std::function<void(notify_answer)>;
    /** Finds out whether the daemon is ready (Redis, the bus) and calls back with nothing when
        it is, else why not; never from within the call. */
    using readiness_check =
        std::function<void(std::function<void(std::optional<not_ready_reason>)>)>;
    /** Has the users' streams checked again (POST /revalidate) and calls back once that is
        done (standalone) or durable on the bus (cluster), else with why the bus could not be
        reached; never from within the call. */
    using revalidation = std::function<void(
        std::vector<std::string> users, std::function<void(std::optional<std::string>)> done)>;

    /** `ioc` runs the sessions: scrapes answered in the same turn of it share one rendering.
        `revalidate` may be empty where the routes do not include /revalidate. */
    notify_handler(config const& cfg, event_log& log, registry& streams, metrics& stats,
                   readiness_check ready, revalidation revalidate, net::io_context& ioc,
                   notify_routes routes = notify_routes::all);

    /** What a request gets from its header alone, before a byte of its body is read: 401 for
        POST /notify, POST /explain or GET /streams without notify.token; and when a body
        follows (`body_follows`: Content-Length above 0, or any Transfer-Encoding), the refusal
        of any other request, since only POST /notify and POST /explain take a body (404 or
        405 by its route, else 400). Nothing when the request goes on: its body, if any, is
        then read. */
    std::optional<notify_answer> check_header(http::request_header<> const& header,
                                              bool body_follows);

    /** The answer to a complete request, when it is known at once; otherwise (readiness, a
        log that waits for Redis) nothing, and `later` gets it from the io_context.
        `received_at` starts the fan-out timing. */
    std::optional<notify_answer> handle(http::request<http::string_body> const& req,
                                        std::chrono::steady_clock::time_point received_at,
                                        bool stopping, answer_later later);

    /** A malformed request or a broken limit (431, 400), counted like every refusal. */
    notify_answer refuse(http::status status, std::string_view message);
    /** 413: a body above notify.max_body_bytes; for POST /notify (`target`), also counted as
        a refused notification. */
    notify_answer refuse_too_large(std::string_view target = "/notify");
    /** 503 for a connection beyond the port's cap, counted by port. */
    notify_answer refuse_connection();

private:
    std::optional<notify_answer> refused_route(std::string_view path, http::verb method);
    notify_answer explain(std::string_view body);
    notify_answer list_streams(std::string_view target);
    std::string const& scrape();
    std::optional<notify_answer> publish(std::string_view body,
                                         std::chrono::steady_clock::time_point received_at,
                                         answer_later later);
    notify_answer published(event_log::append_result const& result, std::size_t items,
                            std::chrono::steady_clock::time_point received_at);
    static notify_answer readiness(std::optional<not_ready_reason> const& why);
    std::optional<notify_answer> revalidate(std::string_view body, answer_later later);

    config const& cfg_;
    event_log& log_;
    registry& streams_; // read only: /explain and /streams deliver nothing
    metrics& stats_;
    readiness_check ready_;
    revalidation revalidate_;
    net::io_context& ioc_;
    notify_routes routes_;
    std::optional<std::string> scrape_; // the metrics text of this turn of the loop
};

/** Appends the answer's bytes (status line, headers, body) to `out`: written by hand, since
    the answers are few and fixed and this runs once per POST. */
void append_answer(std::string& out, notify_answer const& answer, unsigned version,
                   bool keep_alive);

} // namespace sse_server
