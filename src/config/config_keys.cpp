#include "sse_server/config/config_keys.hpp"

#include "sse_server/config/config_hook.hpp"
#include "sse_server/config/config_jwt.hpp"
#include "sse_server/config/config_secret_files.hpp"
#include "sse_server/rights/grants.hpp"

#include <algorithm>
#include <iterator>

// Each key's reader: the checks particular to one key, then where its value goes. The keys
// that name a secret file have theirs in config_secret_files.cpp.

namespace sse_server {

namespace {

bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool all_of(std::string_view text, auto predicate)
{
    return std::all_of(text.begin(), text.end(), predicate);
}

host_port address_in(setting const& value)
{
    auto const text = value.text();
    if (auto const parsed = parse_host_port(text))
        return *parsed;
    value.fail(R"(expected host:port like "0.0.0.0:8080" or "[::1]:8080", got )" + in_quotes(text));
}

redis_url redis_url_in(setting const& value)
{
    auto const parsed = parse_redis_url(value.text());
    if (parsed)
        return *parsed;
    // The URL may carry a password, so no message repeats it.
    value.fail("expected redis://[[user]:password@]host[:port][/db], "
               "rediss://[[user]:password@]host[:port][/db] (TLS), unix:///path[?db=N] or "
               "redis+sentinel://[[user]:password@]host:port[,host:port...]/<master>[/db], e.g. "
               "\"redis://127.0.0.1:6379/0\" (value not shown: it may hold a password)");
}

// RFC 6265: a cookie name is an RFC 2616 token.
std::string cookie_name_in(setting const& value)
{
    auto const name = value.text();
    auto const token_char = [](char c) {
        return is_alnum(c) || std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
    };
    if (name.empty() || !all_of(name, token_char))
        value.fail("expected a cookie name (letters, digits and !#$%&'*+-.^_`|~), got " +
                   in_quotes(name));
    return name;
}

// RFC 6901: "" is the whole document; '~' only as the escapes "~0" and "~1".
std::string json_pointer_in(setting const& value)
{
    auto const pointer = value.text();
    auto valid = pointer.empty() || pointer.starts_with('/');
    for (std::size_t i = 0; valid && i < pointer.size(); ++i)
        if (pointer[i] == '~')
            valid = i + 1 < pointer.size() && (pointer[i + 1] == '0' || pointer[i + 1] == '1');
    if (!valid)
        value.fail(R"(expected a JSON pointer like "/userId" or "/passport/user", got )" +
                   in_quotes(pointer));
    return pointer;
}

std::vector<std::string> grants_in(setting const& value)
{
    auto patterns = value.texts();
    for (std::size_t i = 0; i < patterns.size(); ++i)
        if (!is_valid_grant_pattern(patterns[i]))
            value.fail("item " + std::to_string(i) +
                       R"(: expected an event name, a prefix ending in "*", with {user} or )"
                       "one {group} in it, got " +
                       in_quotes(patterns[i]));
    return patterns;
}

std::string event_name_in(setting const& value)
{
    auto const name = value.text();
    auto const name_char = [](char c) {
        return is_alnum(c) || c == '_' || c == '.' || c == ':' || c == '-';
    };
    if (name.empty() || name.size() > 128 || !all_of(name, name_char))
        value.fail("expected an event name ([A-Za-z0-9_.:-], 1 to 128 characters), got " +
                   in_quotes(name));
    return name;
}

bool is_visible_ascii(char c)
{
    return c > ' ' && c < '\x7f';
}

std::string request_path_in(setting const& value)
{
    auto const path = value.text();
    auto const path_char = [](char c) { return is_visible_ascii(c) && c != '?' && c != '#'; };
    if (!path.starts_with('/') || !all_of(path, path_char))
        value.fail(R"(expected a path starting with "/", without query or spaces, got )" +
                   in_quotes(path));
    return path;
}

// Origins are compared byte for byte with the request's Origin header, which never has a path.
std::vector<std::string> origins_in(setting const& value)
{
    auto origins = value.texts();
    for (std::size_t i = 0; i < origins.size(); ++i) {
        std::string_view const origin = origins[i];
        auto const scheme_end = origin.find("://");
        auto const valid = scheme_end != std::string_view::npos && scheme_end > 0 &&
                           origin.size() > scheme_end + 3 &&
                           origin.find('/', scheme_end + 3) == std::string_view::npos &&
                           all_of(origin, is_visible_ascii);
        if (!valid)
            value.fail("item " + std::to_string(i) +
                       R"(: expected an exact origin like "https://app.example.com" )"
                       "(scheme://host[:port], no path, no trailing slash), got " +
                       in_quotes(origin));
    }
    return origins;
}

// Secrets are never repeated in messages.
std::vector<std::string> secrets_in(setting const& value)
{
    auto secrets = value.texts();
    for (std::size_t i = 0; i < secrets.size(); ++i)
        if (secrets[i].empty())
            value.fail("item " + std::to_string(i) +
                       " is empty: an empty HMAC secret signs nothing");
    return secrets;
}

// The token arrives as "Authorization: Bearer <token>", whose value proxies trim: a token with
// spaces or control characters could never match, so refuse it at start.
std::string token_in(setting const& value)
{
    auto const token = value.text();
    if (!all_of(token, is_visible_ascii))
        value.fail("must hold only visible ASCII characters, no spaces (value not shown)");
    return token;
}

// Any bytes make a Redis key, but a control character in one is a typo or a pasted line end,
// and would garble every log line and redis-cli session that shows it.
std::string stream_key_in(setting const& value)
{
    auto const key = value.text();
    if (key.empty())
        value.fail("must not be empty: it is the Redis Stream key of the event bus");
    auto const control = [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == '\x7f'; };
    if (std::any_of(key.begin(), key.end(), control))
        value.fail("must not contain control characters");
    return key;
}

std::vector<ip_network> networks_in(setting const& value)
{
    std::vector<ip_network> networks;
    auto const texts = value.texts();
    for (std::size_t i = 0; i < texts.size(); ++i) {
        auto const network = parse_ip_network(texts[i]);
        if (!network)
            value.fail("item " + std::to_string(i) +
                       R"(: expected an address or a network like "10.0.0.0/8" or )"
                       R"("2001:db8::/32" (no bits set past the prefix), got )" +
                       in_quotes(texts[i]));
        networks.push_back(*network);
    }
    return networks;
}

// "" is the default: no metrics port.
std::optional<host_port> optional_address_in(setting const& value)
{
    if (value.text().empty())
        return std::nullopt;
    return address_in(value);
}

// A name or an address to find in the server's certificate; "" = the URL's host.
std::string server_name_in(setting const& value)
{
    auto const name = value.text();
    auto const name_char = [](char c) {
        return is_alnum(c) || c == '.' || c == '-' || c == '_' || c == ':' || c == '*';
    };
    if (!all_of(name, name_char))
        value.fail("expected a host name or an address as the certificate names it, got " +
                   in_quotes(name));
    return name;
}

// The ACL user of redis.url (Redis 6+): set there or here, not both, and with a password.
void username_in(config& c, setting const& value)
{
    auto const name = value.text();
    if (name.empty())
        return;
    if (!all_of(name, is_visible_ascii))
        value.fail("must hold only visible ASCII characters, no spaces, got " + in_quotes(name));
    if (!c.redis.url.user.empty())
        value.fail("set the user in redis.url or in redis.username, not both");
    if (c.redis.url.password.empty())
        value.fail("needs a password, in redis.url or in redis.password_file: Redis "
                   "authenticates a user with one");
    c.redis.username = name;
}

// "" is the default: the bus shares redis.url.
std::optional<redis_url> bus_url_in(setting const& value)
{
    if (value.text().empty())
        return std::nullopt;
    return redis_url_in(value);
}

constexpr key_spec key_table[] = {
    {"listen.clients", [](config& c, setting const& v) { c.listen.clients = address_in(v); }},
    {"listen.notify", [](config& c, setting const& v) { c.listen.notify = address_in(v); }},
    {"listen.metrics",
     [](config& c, setting const& v) { c.listen.metrics = optional_address_in(v); }},
    {"listen.reuse_port", [](config& c, setting const& v) { c.listen.reuse_port = v.boolean(); }},
    {"listen.trusted_proxies",
     [](config& c, setting const& v) { c.listen.trusted_proxies = networks_in(v); }},
    {"redis.url", [](config& c, setting const& v) { c.redis.url = redis_url_in(v); }, true},
    {"redis.password_file", password_file_in},
    {"redis.username", username_in},
    {"redis.timeout", [](config& c, setting const& v) { c.redis.timeout = v.positive_duration(); }},
    {"redis.tls_ca_file",
     [](config& c, setting const& v) { c.redis.tls.ca_file = readable_file_in(v); }},
    {"redis.tls_cert_file",
     [](config& c, setting const& v) { c.redis.tls.cert_file = readable_file_in(v); }},
    {"redis.tls_key_file", tls_key_file_in},
    {"redis.tls_server_name",
     [](config& c, setting const& v) { c.redis.tls.server_name = server_name_in(v); }},
    {"auth.revalidate_interval",
     [](config& c, setting const& v) { c.auth.revalidate_interval = v.duration(); }},
    {"auth.revalidate_in_flight",
     [](config& c, setting const& v) { c.auth.revalidate_in_flight = v.count(1); }},
    {"auth.methods", auth_methods_in},
    {"auth.session.cookie",
     [](config& c, setting const& v) { c.auth.session.cookie = cookie_name_in(v); }},
    {"auth.session.secrets",
     [](config& c, setting const& v) { c.auth.session.secrets = secrets_in(v); }, true},
    {"auth.session.secrets_file", secrets_file_in},
    {"auth.session.key_prefix",
     [](config& c, setting const& v) { c.auth.session.key_prefix = v.text(); }},
    {"auth.session.user_id_pointer",
     [](config& c, setting const& v) { c.auth.session.user_id_pointer = json_pointer_in(v); }},
    {"auth.session.grants_pointer",
     [](config& c, setting const& v) { c.auth.session.grants_pointer = json_pointer_in(v); }},
    {"auth.session.groups_pointer",
     [](config& c, setting const& v) { c.auth.session.groups_pointer = json_pointer_in(v); }},
    {"auth.api_key.key_prefix",
     [](config& c, setting const& v) { c.auth.api_key.key_prefix = v.text(); }},
    {"auth.api_key.user_id_pointer",
     [](config& c, setting const& v) { c.auth.api_key.user_id_pointer = json_pointer_in(v); }},
    {"auth.api_key.grants_pointer",
     [](config& c, setting const& v) { c.auth.api_key.grants_pointer = json_pointer_in(v); }},
    {"auth.api_key.groups_pointer",
     [](config& c, setting const& v) { c.auth.api_key.groups_pointer = json_pointer_in(v); }},
    {"auth.api_key.allow_query",
     [](config& c, setting const& v) { c.auth.api_key.allow_query = v.boolean(); }},
    {"auth.api_key.hash",
     [](config& c, setting const& v) {
         auto const sha256 = v.text_in({"none", "sha256"}) == "sha256";
         c.auth.api_key.hash = sha256 ? key_hash::sha256 : key_hash::none;
     }},
    {"auth.jwt.key_file", jwt_key_file_in},
    {"auth.jwt.secret_file", jwt_secret_file_in},
    {"auth.jwt.cookie",
     [](config& c, setting const& v) { c.auth.jwt.cookie = v.text().empty() ? "" : cookie_name_in(v); }},
    {"auth.jwt.issuer", [](config& c, setting const& v) { c.auth.jwt.issuer = v.text(); }},
    {"auth.jwt.audience", [](config& c, setting const& v) { c.auth.jwt.audience = v.text(); }},
    {"auth.jwt.leeway", [](config& c, setting const& v) { c.auth.jwt.leeway = v.duration(); }},
    {"auth.jwt.user_claim",
     [](config& c, setting const& v) { c.auth.jwt.user_claim = claim_name_in(v); }},
    {"auth.jwt.grants_claim",
     [](config& c, setting const& v) { c.auth.jwt.grants_claim = optional_claim_name_in(v); }},
    {"auth.jwt.groups_claim",
     [](config& c, setting const& v) { c.auth.jwt.groups_claim = optional_claim_name_in(v); }},
    {"auth.hook.url", hook_url_in},
    {"auth.hook.timeout",
     [](config& c, setting const& v) { c.auth.hook.timeout = v.positive_duration(); }},
    {"auth.hook.cache_ttl",
     [](config& c, setting const& v) { c.auth.hook.cache_ttl = v.duration(); }},
    {"auth.hook.max_inflight", hook_max_inflight_in},
    {"events.account", [](config& c, setting const& v) { c.events.account = event_name_in(v); }},
    {"events.grants", [](config& c, setting const& v) { c.events.grants = grants_in(v); }},
    {"client.path", [](config& c, setting const& v) { c.client.path = request_path_in(v); }},
    {"client.max_lifetime",
     [](config& c, setting const& v) { c.client.max_lifetime = v.duration(); }},
    {"client.retry", [](config& c, setting const& v) { c.client.retry = v.duration(); }},
    {"client.heartbeat",
     [](config& c, setting const& v) { c.client.heartbeat = v.positive_duration(); }},
    {"client.max_pending_bytes",
     [](config& c, setting const& v) { c.client.max_pending_bytes = v.count(1024); }},
    {"client.send_timeout",
     [](config& c, setting const& v) { c.client.send_timeout = v.positive_duration(); }},
    {"client.header_timeout",
     [](config& c, setting const& v) { c.client.header_timeout = v.positive_duration(); }},
    {"client.cors_origins",
     [](config& c, setting const& v) { c.client.cors_origins = origins_in(v); }},
    {"limits.max_subscriptions",
     [](config& c, setting const& v) { c.limits.max_subscriptions = v.count(1); }},
    {"limits.max_connections",
     [](config& c, setting const& v) { c.limits.max_connections = v.count(1); }},
    {"limits.max_connections_per_user",
     [](config& c, setting const& v) { c.limits.max_connections_per_user = v.count(1); }},
    {"replay.capacity", [](config& c, setting const& v) { c.replay.capacity = v.count(0); }},
    {"replay.max_age",
     [](config& c, setting const& v) { c.replay.max_age = v.positive_duration(); }},
    {"replay.max_bytes", [](config& c, setting const& v) { c.replay.max_bytes = v.count(1); }},
    {"notify.token", [](config& c, setting const& v) { c.notify.token = token_in(v); }, true},
    {"notify.token_file", token_file_in},
    {"notify.max_body_bytes",
     [](config& c, setting const& v) { c.notify.max_body_bytes = v.count(1); }},
    {"notify.idle_timeout",
     [](config& c, setting const& v) { c.notify.idle_timeout = v.positive_duration(); }},
    {"notify.max_connections",
     [](config& c, setting const& v) { c.notify.max_connections = v.count(1); }},
    {"log.level",
     [](config& c, setting const& v) {
         c.log.level = v.text_in({"trace", "debug", "info", "warn", "error"});
     }},
    {"log.format",
     [](config& c, setting const& v) {
         auto const format = v.text_in({"text", "json", "journal"});
         c.log.format = format == "json"      ? log_format::json
                        : format == "journal" ? log_format::journal
                                              : log_format::text;
     }},
    {"log.access", [](config& c, setting const& v) { c.log.access = v.boolean(); }},
    {"server.shutdown_timeout",
     [](config& c, setting const& v) { c.server.shutdown_timeout = v.positive_duration(); }},
    {"server.drain_period",
     [](config& c, setting const& v) { c.server.drain_period = v.duration(); }},
    {"server.ready_timeout",
     [](config& c, setting const& v) { c.server.ready_timeout = v.duration(); }},
    {"cluster.mode",
     [](config& c, setting const& v) {
         auto const redis = v.text_in({"standalone", "redis"}) == "redis";
         c.cluster.mode = redis ? cluster_mode::redis : cluster_mode::standalone;
     }},
    {"cluster.stream", [](config& c, setting const& v) { c.cluster.stream = stream_key_in(v); }},
    {"cluster.max_len", [](config& c, setting const& v) { c.cluster.max_len = v.count(1); }},
    {"cluster.redis_url", [](config& c, setting const& v) { c.cluster.url = bus_url_in(v); },
     true},
};


} // namespace

std::span<key_spec const> known_keys()
{
    return key_table;
}

bool is_known_key(std::string_view path)
{
    return std::any_of(std::begin(key_table), std::end(key_table),
                       [&](key_spec const& key) { return key.path == path; });
}

bool is_known_section(std::string_view path)
{
    return std::any_of(std::begin(key_table), std::end(key_table), [&](key_spec const& key) {
        return key.path.size() > path.size() && key.path.starts_with(path) &&
               key.path[path.size()] == '.';
    });
}


} // namespace sse_server
