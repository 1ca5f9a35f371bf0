#include "sse_server/config/config.hpp"

#include "sse_server/base/ip_network.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <iterator>
#include <limits>
#include <system_error>

// Parsers of single values, which know no keys: the loader in config.cpp names the key when
// one of them fails.

namespace sse_server {

namespace {

// Digits only: from_chars would accept a leading '-' for signed types.
template <class Int> std::optional<Int> parse_decimal(std::string_view text)
{
    if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos)
        return std::nullopt;
    Int value{};
    auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool all_of(std::string_view text, auto predicate)
{
    return std::all_of(text.begin(), text.end(), predicate);
}

/** The host and optional port of "host", "host:port", "[v6]" or "[v6]:port". */
struct authority
{
    std::string host; // without the IPv6 brackets, ready for address parsing
    std::optional<std::uint16_t> port;
};

std::optional<authority> parse_authority(std::string_view text)
{
    std::string_view host;
    std::string_view rest;
    if (text.starts_with('[')) {
        auto const close = text.find(']');
        if (close == std::string_view::npos)
            return std::nullopt;
        host = text.substr(1, close - 1);
        rest = text.substr(close + 1);
        auto const v6_char = [](char c) { return is_alnum(c) || c == ':' || c == '.' || c == '%'; };
        if (host.find(':') == std::string_view::npos || !all_of(host, v6_char))
            return std::nullopt;
    } else {
        // An unbracketed IPv6 address would make the port ambiguous, so ':' ends the host.
        host = text.substr(0, text.find(':'));
        rest = text.substr(host.size());
        auto const name_char = [](char c) {
            return is_alnum(c) || c == '.' || c == '-' || c == '_';
        };
        if (!all_of(host, name_char))
            return std::nullopt;
    }
    if (host.empty())
        return std::nullopt;
    authority result{std::string{host}, std::nullopt};
    if (rest.empty())
        return result;
    if (!rest.starts_with(':') || rest.size() > 6)
        return std::nullopt;
    auto const port = parse_decimal<std::uint32_t>(rest.substr(1));
    if (!port || *port > std::numeric_limits<std::uint16_t>::max())
        return std::nullopt;
    result.port = static_cast<std::uint16_t>(*port);
    return result;
}

} // namespace

std::optional<milliseconds> parse_duration(std::string_view text)
{
    auto const digits = text.find_first_not_of("0123456789");
    if (digits == 0 || digits == std::string_view::npos)
        return std::nullopt;
    auto const unit = text.substr(digits);
    milliseconds::rep factor = 0;
    if (unit == "ms")
        factor = 1;
    else if (unit == "s")
        factor = 1000;
    else if (unit == "m")
        factor = milliseconds::rep{60} * 1000;
    else if (unit == "h")
        factor = milliseconds::rep{60} * 60 * 1000;
    else
        return std::nullopt;
    auto const count = parse_decimal<milliseconds::rep>(text.substr(0, digits));
    // Compared before multiplying, so that no count can overflow.
    if (!count || *count > max_duration.count() / factor)
        return std::nullopt;
    return milliseconds{*count * factor};
}

std::optional<host_port> parse_host_port(std::string_view text)
{
    auto const parsed = parse_authority(text);
    if (!parsed || !parsed->port)
        return std::nullopt;
    return host_port{parsed->host, *parsed->port};
}

std::optional<redis_url> parse_redis_url(std::string_view text)
{
    constexpr std::string_view scheme = "redis://";
    if (!text.starts_with(scheme))
        return std::nullopt;
    auto rest = text.substr(scheme.size());
    redis_url url;
    // The last '@' ends the user info, so a password may itself contain '@'.
    if (auto const at = rest.rfind('@'); at != std::string_view::npos) {
        auto const user_info = rest.substr(0, at);
        auto const colon = user_info.find(':');
        if (colon == std::string_view::npos)
            return std::nullopt;
        url.user = user_info.substr(0, colon);
        url.password = user_info.substr(colon + 1);
        rest = rest.substr(at + 1);
    }
    auto const slash = rest.find('/');
    if (slash != std::string_view::npos && slash + 1 < rest.size()) {
        auto const db = parse_decimal<int>(rest.substr(slash + 1));
        if (!db)
            return std::nullopt;
        url.db = *db;
    }
    auto const address = parse_authority(rest.substr(0, slash));
    if (!address || address->port == std::uint16_t{0})
        return std::nullopt;
    url.host = address->host;
    url.port = address->port.value_or(url.port);
    return url;
}

bool is_loopback_host(std::string_view host)
{
    if (host.starts_with('[') && host.ends_with(']'))
        host = host.substr(1, host.size() - 2);
    auto const lower = [](char c) {
        return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    };
    std::string name;
    std::transform(host.begin(), host.end(), std::back_inserter(name), lower);
    if (name == "localhost")
        return true;
    auto const address = parse_ip_address(name);
    if (!address)
        return false;
    // 127.0.0.0/8 (also as ::ffff:127.x), or ::1.
    return address->is_v4() ? address->bytes[12] == 127 : *address == parse_ip_address("::1");
}

} // namespace sse_server
