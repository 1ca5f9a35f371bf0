#include "sse_server/auth/hook_answer.hpp"

#include "sse_server/auth/credentials.hpp"
#include "sse_server/rights/claims.hpp"
#include "sse_server/rights/json_pick.hpp"

#include <algorithm>
#include <utility>

namespace sse_server {

namespace {

hook_verdict verdict(auth_result::outcome outcome, std::string reason, char const* label)
{
    return {auth_result{outcome, {}, std::move(reason), {}}, label};
}

} // namespace

hook_verdict read_hook_answer(unsigned status, std::string_view body, claims_pools& pools)
{
    using outcome = auth_result::outcome;
    switch (status) {
    case 200:
        break;
    case 401:
        return verdict(outcome::unauthorized, "auth hook: 401", "unauthorized");
    case 403:
        return verdict(outcome::forbidden, "auth hook: 403", "forbidden");
    default:
        return verdict(outcome::unavailable, "auth hook answered " + std::to_string(status),
                       "error");
    }
    static std::string const pointers[] = {"", "/user", "/grants", "/groups"};
    auto found = pick_json(body, pointers);
    // A 200 the daemon cannot read is the application's bug: no stream, but no 401 either,
    // which would log the user out of every window.
    if (!found || (*found)[0].type != json_pick::kind::object)
        return verdict(outcome::unavailable, "auth hook: 200 without a JSON object", "malformed");
    auto& at = *found;
    auto user = user_id_in(at[1]);
    if (!user)
        return verdict(outcome::unavailable, "auth hook: 200 without a usable \"user\"",
                       "malformed");
    hook_verdict ok{auth_result{outcome::ok, std::move(*user), {}, {}}, "ok"};
    ok.auth.claims =
        claims_from(std::move(at[2]), pointers[2], std::move(at[3]), pointers[3], pools);
    return ok;
}

std::chrono::milliseconds hook_answer_ttl(auth_result::outcome outcome,
                                          std::chrono::milliseconds cache_ttl)
{
    switch (outcome) {
    case auth_result::outcome::ok:
    case auth_result::outcome::forbidden:
        return cache_ttl;
    case auth_result::outcome::unauthorized:
        // Short: the user may log in with the same cookie a moment later.
        return std::min(cache_ttl, std::chrono::milliseconds{5000});
    case auth_result::outcome::unavailable:
        break;
    }
    return std::chrono::milliseconds::zero();
}

std::string hook_cache_key(std::string_view header_lines)
{
    return sha256_hex(header_lines);
}

std::string hook_request(hook_url const& where, std::string_view header_lines)
{
    auto const host =
        where.host.find(':') == std::string::npos ? where.host : "[" + where.host + "]";
    std::string request;
    request.reserve(where.target.size() + host.size() + header_lines.size() + 96);
    request.append("GET ").append(where.target).append(" HTTP/1.1\r\nHost: ").append(host);
    if (where.port != (where.tls ? 443 : 80))
        request.append(":").append(std::to_string(where.port));
    request.append("\r\nUser-Agent: sse-server\r\nAccept: application/json\r\n")
        .append(header_lines)
        .append("\r\n");
    return request;
}

} // namespace sse_server
