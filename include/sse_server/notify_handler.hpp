#pragma once

#include "sse_server/net.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

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
    std::string_view allow;   // 405: the methods the path takes
    bool needs_redis = false; // /readyz: the answer comes from readiness() once Redis replied
};

/** What the notification port does with a request (SPEC §3), without the I/O: routes it,
    checks the token, validates and publishes notifications, renders metrics, counts every
    refusal. The session reads, pipelines and writes; this decides. Owned by `server`. */
class notify_handler
{
public:
    notify_handler(config const& cfg, registry& subscriptions, metrics& stats);

    /** A 401 for POST /notify without notify.token, decided from the header alone: a peer
        without the token never has its body read. */
    std::optional<notify_answer> check_header(http::request_header<> const& header);

    /** The answer to a complete request; `received_at` starts the fan-out timing. */
    notify_answer handle(http::request<http::string_body> const& req,
                         std::chrono::steady_clock::time_point received_at, bool stopping);

    /** The /readyz answer once Redis replied (or failed to). */
    static notify_answer readiness(bool ready, std::string_view reason);

    /** A malformed request or a broken limit (431, 400), counted like every refusal. */
    notify_answer refuse(http::status status, std::string_view message);
    /** 413: a body above notify.max_body_bytes, also counted as a refused notification. */
    notify_answer refuse_too_large();

private:
    notify_answer publish(std::string_view body, std::chrono::steady_clock::time_point received_at);

    config const& cfg_;
    registry& subscriptions_;
    metrics& stats_;
};

/** Appends the answer's bytes (status line, headers, body) to `out`: written by hand, since
    the answers are few and fixed and this runs once per POST. */
void append_answer(std::string& out, notify_answer const& answer, unsigned version,
                   bool keep_alive);

} // namespace sse_server
