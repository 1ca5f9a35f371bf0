#include "sse_server/stream/stream_admission.hpp"

#include "sse_server/config/config.hpp"

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>

namespace sse_server {

namespace {

template <class Name>
std::optional<std::string_view> header(http::request<http::empty_body> const& req, Name name)
{
    auto it = req.find(name);
    if (it == req.end())
        return std::nullopt;
    return std::string_view(it->value().data(), it->value().size());
}

stream_admission refuse(stream_admission&& a, http::status status, std::string reason,
                        std::string detail = {})
{
    a.action = stream_admission::verdict::refuse;
    a.status = status;
    a.reason = std::move(reason);
    a.detail = std::move(detail);
    return std::move(a);
}

// A stream request carries no body (SPEC §2.6). Its body is never read: a peer that sends one
// gets a 400, however long the body would have been.
bool has_body(http::request<http::empty_body> const& req)
{
    if (req.find(http::field::transfer_encoding) != req.end())
        return true;
    auto const length = req.find(http::field::content_length);
    return length != req.end() && length->value() != "0";
}

} // namespace

stream_admission admit_stream(http::request<http::empty_body> const& req, config const& cfg)
{
    stream_admission a;
    if (auto origin = header(req, http::field::origin)) {
        auto const& allowed = cfg.client.cors_origins;
        if (std::find(allowed.begin(), allowed.end(), *origin) != allowed.end())
            a.cors_origin = std::string(*origin);
    }

    std::string_view const target(req.target().data(), req.target().size());
    auto parsed = parse_stream_target(target, cfg.limits.max_subscriptions);
    if (parsed.request.path != cfg.client.path)
        return refuse(std::move(a), http::status::not_found, "not found");
    if (req.method() == http::verb::options) {
        a.action = stream_admission::verdict::preflight;
        return a;
    }
    if (req.method() != http::verb::get)
        return refuse(std::move(a), http::status::method_not_allowed, "method not allowed");
    if (has_body(req))
        return refuse(std::move(a), http::status::bad_request, "a stream request has no body");
    if (parsed.error)
        return refuse(std::move(a), http::status::bad_request, *parsed.error);
    auto const& events = parsed.request.events;
    // Subscribing to the account event by name would hand every user's account changes to
    // anyone: they reach their own user through the account rule only.
    if (std::find(events.begin(), events.end(), cfg.events.account) != events.end())
        return refuse(std::move(a), http::status::bad_request,
                      "event name \"" + cfg.events.account +
                          "\" is reserved: account events reach their own user unasked");
    a.target = std::move(parsed.request);
    // Resume (SPEC §2.5): the browser's Last-Event-ID header, or lastEventId for polyfills.
    if (auto last_id = header(req, "Last-Event-ID"))
        a.target.last_event_id = std::string(*last_id);

    credential_sources sources;
    sources.authorization = header(req, http::field::authorization);
    sources.api_key_header = header(req, "X-API-Key");
    if (a.target.api_key)
        sources.api_key_query = *a.target.api_key;
    for (auto [it, end] = req.equal_range(http::field::cookie); it != end; ++it)
        sources.cookie_headers.emplace_back(it->value().data(), it->value().size());
    sources.origin = header(req, http::field::origin);
    auto extracted = extract_credential(sources, cfg.auth);
    if (!extracted.found)
        return refuse(std::move(a), http::status::unauthorized, unauthorized_reason,
                      std::move(extracted.refusal));
    a.cred = std::move(*extracted.found);
    a.action = stream_admission::verdict::authenticate;
    return a;
}

} // namespace sse_server
