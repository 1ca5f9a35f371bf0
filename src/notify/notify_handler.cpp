#include "sse_server/notify/notify_handler.hpp"

#include "sse_server/auth/credentials.hpp"
#include "sse_server/config/config.hpp"
#include "sse_server/event/audience.hpp"
#include "sse_server/event/notification.hpp"
#include "sse_server/notify/stream_inspection.hpp"
#include "sse_server/ops/metrics.hpp"
#include "sse_server/stream/registry.hpp"

#include <boost/asio/post.hpp>
#include <boost/beast/core/string.hpp>
#include <fmt/format.h>
#include <algorithm>
#include <iterator>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace sse_server {

namespace {

constexpr std::string_view text_type = "text/plain; charset=utf-8";

std::string_view path_of(http::request_header<> const& header)
{
    std::string_view const target(header.target().data(), header.target().size());
    return target.substr(0, target.find('?'));
}

notify_answer answer(http::status status, std::string body,
                     std::string_view content_type = "application/json")
{
    notify_answer a;
    a.status = status;
    a.body = std::move(body);
    a.content_type = content_type;
    return a;
}

/** The routes that carry or reveal user data (SPEC §3): notify.token guards them. */
bool posted(std::string_view path)
{
    return path == "/notify" || path == "/revalidate" || path == "/explain";
}

bool guarded(std::string_view path, http::verb method)
{
    return (method == http::verb::post && posted(path)) ||
           (method == http::verb::get && path == "/streams");
}

bool takes_body(std::string_view path, http::verb method)
{
    return method == http::verb::post && posted(path);
}

std::string error_body(std::string_view message)
{
    return nlohmann::json{{"error", message}}.dump(-1, ' ', false,
                                                   nlohmann::json::error_handler_t::replace);
}

} // namespace

notify_handler::notify_handler(config const& cfg, event_log& log, registry& streams,
                               metrics& stats, readiness_check ready, revalidation revalidate,
                               net::io_context& ioc, notify_routes routes)
    : cfg_(cfg), log_(log), streams_(streams), stats_(stats), ready_(std::move(ready)),
      revalidate_(std::move(revalidate)), ioc_(ioc), routes_(routes)
{
}

std::optional<notify_answer> notify_handler::check_header(http::request_header<> const& header,
                                                          bool body_follows)
{
    auto const path = path_of(header);
    auto const method = header.method();
    bool const served = routes_ == notify_routes::all;
    if (served && guarded(path, method) && !cfg_.notify.token.empty()) {
        auto const auth = header[http::field::authorization];
        auto const presented = bearer_token(std::string_view(auth.data(), auth.size()));
        if (!presented || !constant_time_equal(*presented, cfg_.notify.token)) {
            if (path == "/notify")
                stats_.notifications.inc("unauthorized");
            return refuse(http::status::unauthorized, "missing or invalid bearer token");
        }
    }
    if (!body_follows || (served && takes_body(path, method)))
        return std::nullopt;
    // Only POST /notify, /revalidate and /explain take a body. Any other request's answer is
    // known from its header: reading its body would only let an unauthenticated peer make the
    // daemon hold it.
    if (auto refusal = refused_route(path, method))
        return refusal;
    return refuse(http::status::bad_request, "this request takes no body");
}

std::optional<notify_answer> notify_handler::refused_route(std::string_view path,
                                                           http::verb method)
{
    if (posted(path) && routes_ == notify_routes::all) {
        if (method == http::verb::post)
            return std::nullopt;
        auto refusal = refuse(http::status::method_not_allowed, "use POST");
        refusal.allow = "POST";
        return refusal;
    }
    bool const streams = path == "/streams" && routes_ == notify_routes::all;
    if (path != "/healthz" && path != "/readyz" && path != "/metrics" && !streams)
        return refuse(http::status::not_found, "no such endpoint");
    if (method != http::verb::get) {
        auto refusal = refuse(http::status::method_not_allowed, "use GET");
        refusal.allow = "GET";
        return refusal;
    }
    return std::nullopt;
}

std::optional<notify_answer> notify_handler::handle(
    http::request<http::string_body> const& req, std::chrono::steady_clock::time_point received_at,
    bool stopping, answer_later later)
{
    auto const path = path_of(req);
    if (auto refusal = refused_route(path, req.method()))
        return refusal;
    if (path == "/notify") {
        if (stopping) {
            // This daemon's streams are closing: the API should post to another one.
            auto refusal = refuse(http::status::service_unavailable, "shutting down");
            refusal.retry_after = 1;
            return refusal;
        }
        return publish(req.body(), received_at, std::move(later));
    }
    if (path == "/revalidate") {
        if (stopping) {
            auto refusal = refuse(http::status::service_unavailable, "shutting down");
            refusal.retry_after = 1;
            return refusal;
        }
        return revalidate(req.body(), std::move(later));
    }
    if (path == "/explain")
        return explain(req.body());
    if (path == "/streams")
        return list_streams(std::string_view(req.target().data(), req.target().size()));
    if (path == "/healthz")
        return answer(http::status::ok, "ok", text_type);
    if (path == "/readyz") {
        if (stopping)
            return answer(http::status::service_unavailable, "shutting down", text_type);
        ready_([later = std::move(later)](std::optional<not_ready_reason> const& why) {
            later(readiness(why));
        });
        return std::nullopt;
    }
    return answer(http::status::ok, scrape(), "text/plain; version=0.0.4; charset=utf-8");
}

std::string const& notify_handler::scrape()
{
    // Scrapes in a burst (pipelined, or from many scrapers at once) share one rendering per
    // turn of the loop: each costs a copy of the text, not a rendering, so scrapers cannot
    // hold the loop that delivers events.
    if (!scrape_) {
        stats_.cluster_lag_seconds = log_.lag_seconds();
        stats_.replay_bytes = log_.history_bytes();
        // Counted once, by the registry: the open streams are its subscribers.
        stats_.connections = static_cast<std::int64_t>(streams_.size());
        stats_.bus_redis_up = log_.bus_connected();
        scrape_ = stats_.render();
        net::post(ioc_, [this] { scrape_.reset(); });
    }
    return *scrape_;
}

std::optional<notify_answer>
notify_handler::publish(std::string_view body, std::chrono::steady_clock::time_point received_at,
                        answer_later later)
{
    auto batch = parse_notifications(body);
    if (batch.error) {
        stats_.notifications.inc("invalid");
        spdlog::debug("notify: refused: {}", *batch.error);
        return refuse(http::status::bad_request, *batch.error);
    }
    auto const items = batch.items.size();
    auto appended = log_.append(
        batch.items, [this, items, received_at, later = std::move(later)](
                         event_log::append_result const& result) {
            later(published(result, items, received_at));
        });
    if (!appended)
        return std::nullopt;
    return published(*appended, items, received_at);
}

notify_answer notify_handler::explain(std::string_view body)
{
    auto request = parse_explain_request(body);
    if (!request.value) {
        spdlog::debug("explain: refused: {}", request.error);
        return refuse(http::status::bad_request, request.error);
    }
    return answer(http::status::ok, explain_json(streams_, *request.value));
}

notify_answer notify_handler::list_streams(std::string_view target)
{
    auto const query = parse_streams_target(target);
    if (!query.user)
        return refuse(http::status::bad_request, query.error);
    return answer(http::status::ok,
                  streams_json(streams_, *query.user, std::chrono::steady_clock::now(),
                               std::chrono::system_clock::now()));
}

notify_answer notify_handler::published(event_log::append_result const& result,
                                        std::size_t items,
                                        std::chrono::steady_clock::time_point received_at)
{
    if (result.unavailable) {
        stats_.notifications.inc("unavailable", items);
        // Counted; the bus connection's loss is logged once by its client, not per POST.
        spdlog::debug("notify: refused {} notifications: {}", items, *result.unavailable);
        auto refusal = refuse(http::status::service_unavailable,
                              "event bus unavailable: " + *result.unavailable);
        refusal.retry_after = 1;
        return refusal;
    }
    if (result.recipients) {
        // Delivered before answering: the fan-out is complete now.
        auto const seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - received_at).count();
        for (std::size_t i = 0; i < items; ++i)
            stats_.fanout_seconds.observe(seconds);
        stats_.events_delivered += *result.recipients;
    }
    stats_.notifications.inc("accepted", items);

    std::string body = fmt::format(R"({{"accepted":{},)", items);
    if (result.recipients)
        fmt::format_to(std::back_inserter(body), R"("recipients":{},)", *result.recipients);
    // Ids are `<digits>-<digits>`: nothing to escape.
    body += R"("ids":[)";
    for (std::size_t i = 0; i < result.ids.size(); ++i) {
        body += i == 0 ? "\"" : ",\"";
        body += result.ids[i];
        body += '"';
    }
    body += "]}";
    return answer(http::status::accepted, std::move(body));
}

std::optional<notify_answer> notify_handler::revalidate(std::string_view body,
                                                       answer_later later)
{
    auto parsed = parse_user_list(body);
    if (!parsed.users) {
        spdlog::debug("revalidate: refused: {}", parsed.error);
        return refuse(http::status::bad_request, parsed.error);
    }
    auto& users = *parsed.users;
    std::sort(users.begin(), users.end());
    users.erase(std::unique(users.begin(), users.end()), users.end());
    auto const count = users.size();
    revalidate_(std::move(users), [this, count, later = std::move(later)](
                                      std::optional<std::string> const& unavailable) {
        if (!unavailable)
            return later(answer(http::status::accepted, fmt::format(R"({{"users":{}}})", count)));
        spdlog::debug("revalidate: refused: {}", *unavailable);
        auto refusal =
            refuse(http::status::service_unavailable, "event bus unavailable: " + *unavailable);
        refusal.retry_after = 1;
        later(std::move(refusal));
    });
    return std::nullopt;
}

notify_answer notify_handler::readiness(std::optional<not_ready_reason> const& why)
{
    if (!why)
        return answer(http::status::ok, "ready", text_type);
    // Whoever reaches the port reads this: the cause in generic words, the detail is logged.
    return answer(http::status::service_unavailable, std::string(public_reason(why->cause)),
                  text_type);
}

notify_answer notify_handler::refuse(http::status status, std::string_view message)
{
    stats_.notify_refused.inc(std::to_string(static_cast<unsigned>(status)));
    return answer(status, error_body(message));
}

notify_answer notify_handler::refuse_too_large(std::string_view target)
{
    // Only a notification is a refused notification; /revalidate and /explain count as
    // refused requests alone.
    if (target.substr(0, target.find('?')) == "/notify")
        stats_.notifications.inc("too_large");
    return refuse(http::status::payload_too_large,
                  "body exceeds " + std::to_string(cfg_.notify.max_body_bytes) + " bytes");
}

notify_answer notify_handler::refuse_connection()
{
    stats_.admin_connections_refused.inc(routes_ == notify_routes::all ? "notify" : "metrics");
    auto refusal = answer(http::status::service_unavailable, error_body("too many connections"));
    refusal.retry_after = 1;
    return refusal;
}

void append_answer(std::string& out, notify_answer const& answer, unsigned version, bool keep_alive)
{
    auto it = std::back_inserter(out);
    fmt::format_to(it, "HTTP/{}.{} {} {}\r\nServer: sse-server\r\nContent-Type: {}\r\n",
                   version / 10, version % 10, static_cast<unsigned>(answer.status),
                   std::string_view(http::obsolete_reason(answer.status)), answer.content_type);
    if (!answer.allow.empty())
        fmt::format_to(it, "Allow: {}\r\n", answer.allow);
    if (answer.retry_after > 0)
        fmt::format_to(it, "Retry-After: {}\r\n", answer.retry_after);
    if (answer.status == http::status::unauthorized)
        out += "WWW-Authenticate: Bearer\r\n";
    if (version >= 11 && !keep_alive)
        out += "Connection: close\r\n";
    if (version < 11 && keep_alive)
        out += "Connection: keep-alive\r\n";
    fmt::format_to(it, "Content-Length: {}\r\n\r\n", answer.body.size());
    out += answer.body;
}

} // namespace sse_server
