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

namespace {

/** Splits "user:password@" off `rest` (up to the last `end_of_user_info`, so that a password may
    hold '@'); false when there is user info without a ':'. */
bool take_user_info(std::string_view& rest, std::string_view end_of_user_info, redis_url& url)
{
    auto const at = rest.rfind(end_of_user_info);
    if (at == std::string_view::npos)
        return true;
    auto const user_info = rest.substr(0, at);
    auto const colon = user_info.find(':');
    if (colon == std::string_view::npos)
        return false;
    url.user = user_info.substr(0, colon);
    url.password = user_info.substr(colon + 1);
    rest = rest.substr(at + 1);
    return true;
}

/** "/db" after an address: nothing, "/" or "/<digits>". */
bool take_db(std::string_view text, redis_url& url)
{
    if (text.empty() || text == "/")
        return true;
    auto const db = parse_decimal<int>(text.substr(1));
    if (!text.starts_with('/') || !db)
        return false;
    url.db = *db;
    return true;
}

std::optional<redis_url> parse_host_url(std::string_view rest, redis_scheme scheme)
{
    redis_url url;
    url.scheme = scheme;
    if (!take_user_info(rest, "@", url))
        return std::nullopt;
    auto const slash = rest.find('/');
    if (slash != std::string_view::npos && !take_db(rest.substr(slash), url))
        return std::nullopt;
    auto const address = parse_authority(rest.substr(0, slash));
    if (!address || address->port == std::uint16_t{0})
        return std::nullopt;
    url.host = address->host;
    url.port = address->port.value_or(url.port);
    return url;
}

// unix:///path?db=N, or unix://user:password@/path?db=N.
std::optional<redis_url> parse_unix_url(std::string_view rest)
{
    redis_url url;
    url.scheme = redis_scheme::unix_socket;
    if (!rest.starts_with('/') && !take_user_info(rest, "@/", url))
        return std::nullopt;
    auto const query = rest.find('?');
    url.path = rest.substr(0, query);
    // sockaddr_un holds 108 bytes, the terminating NUL included.
    if (url.path.size() < 2 || url.path.size() > 107 || !url.path.starts_with('/'))
        return std::nullopt;
    if (query != std::string_view::npos) {
        auto const parameter = rest.substr(query + 1);
        auto const db = parse_decimal<int>(parameter.substr(3));
        if (!parameter.starts_with("db=") || !db)
            return std::nullopt;
        url.db = *db;
    }
    return url;
}

// redis+sentinel://[user:password@]s1:26379,s2:26379/<master name>[/db]
std::optional<redis_url> parse_sentinel_url(std::string_view rest)
{
    redis_url url;
    url.scheme = redis_scheme::sentinel;
    if (!take_user_info(rest, "@", url))
        return std::nullopt;
    auto const slash = rest.find('/');
    if (slash == std::string_view::npos)
        return std::nullopt;
    auto hosts = rest.substr(0, slash);
    while (true) {
        auto const comma = hosts.find(',');
        auto const sentinel = parse_authority(hosts.substr(0, comma));
        if (!sentinel || sentinel->port == std::uint16_t{0})
            return std::nullopt;
        url.sentinels.push_back({sentinel->host, sentinel->port.value_or(26379)});
        if (comma == std::string_view::npos)
            break;
        hosts = hosts.substr(comma + 1);
    }
    auto const names = rest.substr(slash + 1);
    auto const master_end = names.find('/');
    url.master = names.substr(0, master_end);
    auto const name_char = [](char c) { return c > ' ' && c < '\x7f' && c != '/' && c != '?'; };
    if (url.master.empty() || !all_of(url.master, name_char))
        return std::nullopt;
    if (master_end != std::string_view::npos && !take_db(names.substr(master_end), url))
        return std::nullopt;
    url.host = url.sentinels.front().host;
    url.port = url.sentinels.front().port;
    return url;
}

std::string bracketed(std::string const& host)
{
    return host.find(':') == std::string::npos ? host : "[" + host + "]";
}

} // namespace

std::optional<redis_url> parse_redis_url(std::string_view text)
{
    if (text.starts_with("redis://"))
        return parse_host_url(text.substr(8), redis_scheme::plain);
    if (text.starts_with("rediss://"))
        return parse_host_url(text.substr(9), redis_scheme::tls);
    if (text.starts_with("unix://"))
        return parse_unix_url(text.substr(7));
    if (text.starts_with("redis+sentinel://"))
        return parse_sentinel_url(text.substr(17));
    return std::nullopt;
}

std::optional<hook_url> parse_hook_url(std::string_view text)
{
    hook_url url;
    if (text.starts_with("http://")) {
        text.remove_prefix(7);
    } else if (text.starts_with("https://")) {
        text.remove_prefix(8);
        url.tls = true;
        url.port = 443;
    } else {
        return std::nullopt;
    }
    auto const path_start = text.find_first_of("/?");
    auto const target = path_start == std::string_view::npos ? std::string_view{}
                                                             : text.substr(path_start);
    // The target goes into the request line as it is: nothing that could end or split it.
    auto const target_char = [](char c) { return c > ' ' && c < '\x7f' && c != '#'; };
    if (!all_of(target, target_char))
        return std::nullopt;
    // A user and password in the URL would have to become an Authorization header, which is
    // the request's own: not taken.
    auto const host = text.substr(0, path_start);
    if (host.find('@') != std::string_view::npos)
        return std::nullopt;
    auto const parsed = parse_authority(host);
    if (!parsed)
        return std::nullopt;
    url.host = parsed->host;
    if (parsed->port)
        url.port = *parsed->port;
    if (url.port == 0)
        return std::nullopt;
    if (!target.empty())
        url.target = target.starts_with('/') ? std::string(target) : "/" + std::string(target);
    return url;
}

std::string redis_url_text(redis_url const& url, bool redact)
{
    std::string credentials;
    if (!url.user.empty() || !url.password.empty())
        credentials = url.user + ":" + (redact ? "<redacted>" : url.password) + "@";
    auto const db = std::to_string(url.db);
    switch (url.scheme) {
    case redis_scheme::unix_socket:
        return "unix://" + credentials + url.path + "?db=" + db;
    case redis_scheme::sentinel: {
        std::string hosts;
        for (auto const& s : url.sentinels)
            hosts += (hosts.empty() ? "" : ",") + bracketed(s.host) + ":" + std::to_string(s.port);
        return "redis+sentinel://" + credentials + hosts + "/" + url.master + "/" + db;
    }
    case redis_scheme::tls:
    case redis_scheme::plain:
        break;
    }
    return (url.scheme == redis_scheme::tls ? "rediss://" : "redis://") + credentials +
           bracketed(url.host) + ":" + std::to_string(url.port) + "/" + db;
}

std::string redis_location(redis_url const& url)
{
    auto const address = bracketed(url.host) + ":" + std::to_string(url.port);
    switch (url.scheme) {
    case redis_scheme::tls:
        return "rediss://" + address;
    case redis_scheme::unix_socket:
        return "unix://" + url.path;
    case redis_scheme::sentinel:
        return redis_url_text(redis_url{url.scheme, {}, 0, {}, url.sentinels, url.master, {}, {},
                                        url.db});
    case redis_scheme::plain:
        break;
    }
    return address;
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
