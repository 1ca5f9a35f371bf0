#include "sse_server/config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <sstream>
#include <system_error>
#include <toml++/toml.h>
#include <utility>

namespace sse_server {

namespace {

std::string in_quotes(std::string_view text)
{
    std::string quoted;
    quoted.reserve(text.size() + 2);
    quoted.append(1, '"').append(text).append(1, '"');
    return quoted;
}

// An integer from the environment: an optional '-', then decimal digits and nothing else.
std::optional<std::int64_t> parse_integer(std::string_view text)
{
    auto const negative = text.starts_with('-');
    auto const digits = text.substr(negative);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos)
        return std::nullopt;
    std::int64_t magnitude{};
    auto const [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude);
    if (ec != std::errc{} || end != digits.data() + digits.size())
        return std::nullopt;
    return negative ? -magnitude : magnitude;
}

bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool all_of(std::string_view text, auto predicate)
{
    return std::all_of(text.begin(), text.end(), predicate);
}

std::string to_string(host_port const& address)
{
    auto const host =
        address.host.find(':') == std::string::npos ? address.host : "[" + address.host + "]";
    return host + ":" + std::to_string(address.port);
}

// The value itself for scalars (users write `max_connections = "100"`), the type otherwise.
std::string describe(toml::node const& node)
{
    std::ostringstream out;
    if (auto const* text = node.as_string())
        out << in_quotes(text->get());
    else if (auto const* integer = node.as_integer())
        out << integer->get();
    else if (auto const* number = node.as_floating_point())
        out << number->get();
    else if (auto const* flag = node.as_boolean())
        out << (flag->get() ? "true" : "false");
    else
        out << "a TOML " << node.type();
    return out.str();
}

/** One key's effective value, from the environment or the file; its readers check the type and
    range and throw config_error naming the key (and the variable, for an override). */
class setting
{
public:
    setting(std::string_view key, toml::node const& node) : where_{key}, node_{&node} {}

    setting(std::string_view key, std::string const& variable, std::string value)
        : where_{std::string{key} + " (from " + variable + ")"}, env_{std::move(value)}
    {
    }

    [[noreturn]] void fail(std::string const& why) const
    {
        throw config_error(where_ + ": " + why);
    }

    std::string text() const
    {
        if (env_)
            return *env_;
        if (auto const* value = node_->as_string())
            return value->get();
        fail("expected a string, got " + describe(*node_));
    }

    std::string text_in(std::initializer_list<std::string_view> choices) const
    {
        auto value = text();
        if (std::find(choices.begin(), choices.end(), value) != choices.end())
            return value;
        std::string list;
        for (auto const choice : choices)
            list += (list.empty() ? "" : ", ") + in_quotes(choice);
        fail("expected one of " + list + ", got " + in_quotes(value));
    }

    bool boolean() const
    {
        if (env_ && (*env_ == "true" || *env_ == "false"))
            return *env_ == "true";
        if (env_)
            fail("expected true or false, got " + in_quotes(*env_));
        if (auto const* value = node_->as_boolean())
            return value->get();
        fail("expected a boolean (true or false), got " + describe(*node_));
    }

    std::size_t count(std::int64_t minimum) const
    {
        auto const value = integer();
        if (value < 0)
            fail("must not be negative, got " + std::to_string(value));
        if (value < minimum)
            fail("must be at least " + std::to_string(minimum) + ", got " + std::to_string(value));
        return static_cast<std::size_t>(value);
    }

    milliseconds duration() const
    {
        if (!env_ && !node_->is_string())
            fail(R"(expected a duration like "15s", got )" + describe(*node_));
        auto const value = text();
        if (auto const parsed = parse_duration(value))
            return *parsed;
        fail(R"(expected a duration: an integer and a unit, as in "250ms", "15s", "5m", "1h", )"
             "at most 365 days, got " +
             in_quotes(value));
    }

    milliseconds positive_duration() const
    {
        auto const value = duration();
        if (value <= milliseconds::zero())
            fail("must be greater than 0s");
        return value;
    }

    // An array may hold secrets (auth.session.secrets), so a bad one is not repeated.
    std::vector<std::string> texts() const
    {
        if (!env_)
            return texts_in(*node_);
        toml::table parsed;
        try {
            parsed = toml::parse("value = " + *env_);
        } catch (toml::parse_error const&) {
        }
        if (parsed.size() != 1 || !parsed.contains("value"))
            fail(R"(expected a TOML array like ["a", "b"] (value not shown))");
        return texts_in(*parsed.get("value"));
    }

private:
    std::int64_t integer() const
    {
        if (env_) {
            if (auto const value = parse_integer(*env_))
                return *value;
            fail("expected an integer, got " + in_quotes(*env_));
        }
        if (auto const* value = node_->as_integer())
            return value->get();
        fail("expected an integer, got " + describe(*node_));
    }

    std::vector<std::string> texts_in(toml::node const& node) const
    {
        auto const* array = node.as_array();
        if (array == nullptr)
            fail("expected an array of strings, got " + describe(node));
        std::vector<std::string> result;
        for (auto const& item : *array) {
            if (!item.is_string())
                fail("expected an array of strings, got an item " + describe(item));
            result.push_back(item.as_string()->get());
        }
        return result;
    }

    std::string where_;
    toml::node const* node_ = nullptr;
    std::optional<std::string> env_;
};

host_port address_in(setting const& value)
{
    auto const text = value.text();
    if (auto const parsed = parse_host_port(text))
        return *parsed;
    value.fail(R"(expected host:port like "0.0.0.0:8080" or "[::1]:8080", got )" + in_quotes(text));
}

redis_url redis_url_in(setting const& value)
{
    if (auto const parsed = parse_redis_url(value.text()))
        return *parsed;
    // The URL may carry a password, so the message does not repeat it.
    value.fail("expected redis://[[user]:password@]host[:port][/db], e.g. "
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

// "" is the default: the bus shares redis.url.
std::optional<redis_url> bus_url_in(setting const& value)
{
    if (value.text().empty())
        return std::nullopt;
    return redis_url_in(value);
}

/** A known key: its dotted path (also its environment variable) and where its value goes. */
struct key_spec
{
    std::string_view path;
    void (*apply)(config&, setting const&);
};

// The one list of keys: the file, the environment and the unknown-key check all read it.
constexpr key_spec known_keys[] = {
    {"listen.clients", [](config& c, setting const& v) { c.listen.clients = address_in(v); }},
    {"listen.notify", [](config& c, setting const& v) { c.listen.notify = address_in(v); }},
    {"listen.reuse_port", [](config& c, setting const& v) { c.listen.reuse_port = v.boolean(); }},
    {"redis.url", [](config& c, setting const& v) { c.redis.url = redis_url_in(v); }},
    {"redis.timeout", [](config& c, setting const& v) { c.redis.timeout = v.positive_duration(); }},
    {"auth.revalidate_interval",
     [](config& c, setting const& v) { c.auth.revalidate_interval = v.duration(); }},
    {"auth.session.cookie",
     [](config& c, setting const& v) { c.auth.session.cookie = cookie_name_in(v); }},
    {"auth.session.secrets",
     [](config& c, setting const& v) { c.auth.session.secrets = secrets_in(v); }},
    {"auth.session.key_prefix",
     [](config& c, setting const& v) { c.auth.session.key_prefix = v.text(); }},
    {"auth.session.user_id_pointer",
     [](config& c, setting const& v) { c.auth.session.user_id_pointer = json_pointer_in(v); }},
    {"auth.api_key.key_prefix",
     [](config& c, setting const& v) { c.auth.api_key.key_prefix = v.text(); }},
    {"auth.api_key.user_id_pointer",
     [](config& c, setting const& v) { c.auth.api_key.user_id_pointer = json_pointer_in(v); }},
    {"auth.api_key.allow_query",
     [](config& c, setting const& v) { c.auth.api_key.allow_query = v.boolean(); }},
    {"auth.api_key.hash",
     [](config& c, setting const& v) {
         auto const sha256 = v.text_in({"none", "sha256"}) == "sha256";
         c.auth.api_key.hash = sha256 ? key_hash::sha256 : key_hash::none;
     }},
    {"events.account", [](config& c, setting const& v) { c.events.account = event_name_in(v); }},
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
    {"notify.token", [](config& c, setting const& v) { c.notify.token = token_in(v); }},
    {"notify.max_body_bytes",
     [](config& c, setting const& v) { c.notify.max_body_bytes = v.count(1); }},
    {"notify.idle_timeout",
     [](config& c, setting const& v) { c.notify.idle_timeout = v.positive_duration(); }},
    {"log.level",
     [](config& c, setting const& v) {
         c.log.level = v.text_in({"trace", "debug", "info", "warn", "error"});
     }},
    {"log.format",
     [](config& c, setting const& v) {
         c.log.format = v.text_in({"text", "json"}) == "json" ? log_format::json : log_format::text;
     }},
    {"server.shutdown_timeout",
     [](config& c, setting const& v) { c.server.shutdown_timeout = v.positive_duration(); }},
    {"cluster.mode",
     [](config& c, setting const& v) {
         auto const redis = v.text_in({"standalone", "redis"}) == "redis";
         c.cluster.mode = redis ? cluster_mode::redis : cluster_mode::standalone;
     }},
    {"cluster.stream", [](config& c, setting const& v) { c.cluster.stream = stream_key_in(v); }},
    {"cluster.max_len", [](config& c, setting const& v) { c.cluster.max_len = v.count(1); }},
    {"cluster.redis_url", [](config& c, setting const& v) { c.cluster.url = bus_url_in(v); }},
};

bool is_known_key(std::string_view path)
{
    return std::any_of(std::begin(known_keys), std::end(known_keys),
                       [&](key_spec const& key) { return key.path == path; });
}

bool is_known_section(std::string_view path)
{
    return std::any_of(std::begin(known_keys), std::end(known_keys), [&](key_spec const& key) {
        return key.path.size() > path.size() && key.path.starts_with(path) &&
               key.path[path.size()] == '.';
    });
}

std::string variable_name(std::string_view path)
{
    std::string name = "SSE_SERVER_";
    for (auto const c : path)
        name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return name;
}

// A quoted key such as "client.path" can never be one of ours; show it quoted, as written.
std::string display_name(std::string_view key)
{
    auto const bare =
        !key.empty() && all_of(key, [](char c) { return is_alnum(c) || c == '_' || c == '-'; });
    return bare ? std::string{key} : in_quotes(key);
}

void reject_unknown(toml::table const& table, std::string const& prefix)
{
    for (auto const& [key, node] : table) {
        auto const path = (prefix.empty() ? "" : prefix + ".") + display_name(key.str());
        if (is_known_key(path))
            continue; // its type is checked when its value is read
        if (!is_known_section(path))
            throw config_error(path + (node.is_table() ? ": unknown section" : ": unknown key"));
        if (!node.is_table())
            throw config_error(path + ": expected a section ([" + path + "]), got " +
                               describe(node));
        reject_unknown(*node.as_table(), path);
    }
}

// SPEC §3: an open /notify on a reachable address lets anyone push data to every client.
void require_token_off_loopback(config const& result)
{
    if (result.notify.token.empty() && !is_loopback_host(result.listen.notify.host))
        throw config_error("notify.token: must be set because listen.notify (" +
                           to_string(result.listen.notify) +
                           ") is not a loopback address: without a token anyone who can reach "
                           "that port can push events to every client");
}

toml::table parse_toml(std::string_view text, std::string_view source)
{
    try {
        return toml::parse(text, source);
    } catch (toml::parse_error const& error) {
        auto const& begin = error.source().begin;
        throw config_error((source.empty() ? "" : std::string{source} + ": ") + "line " +
                           std::to_string(begin.line) + ", column " + std::to_string(begin.column) +
                           ": invalid TOML: " + std::string{error.description()});
    }
}

config parse_from(std::string_view text, env_lookup const& env, std::string_view source)
{
    auto const file = parse_toml(text, source);
    reject_unknown(file, "");
    config result;
    for (auto const& key : known_keys) {
        auto const variable = variable_name(key.path);
        if (auto value = env ? env(variable) : std::nullopt)
            key.apply(result, setting{key.path, variable, std::move(*value)});
        else if (auto const* node = file.at_path(key.path).node())
            key.apply(result, setting{key.path, *node});
    }
    require_token_off_loopback(result);
    return result;
}

} // namespace

env_lookup process_environment()
{
    return [](std::string const& name) -> std::optional<std::string> {
        if (char const* value = std::getenv(name.c_str()))
            return std::string{value};
        return std::nullopt;
    };
}

redis_config bus_redis_config(config const& cfg)
{
    return redis_config{cfg.cluster.url.value_or(cfg.redis.url), cfg.redis.timeout};
}

config parse_config(std::string_view toml_text, env_lookup const& env)
{
    return parse_from(toml_text, env, "");
}

config load_config(std::filesystem::path const& path, env_lookup const& env)
{
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw config_error(path.string() + ": is a directory, expected a TOML config file");
    std::ifstream in{path, std::ios::binary};
    if (!in)
        throw config_error(path.string() + ": cannot open the config file");
    std::string const text{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    if (in.bad())
        throw config_error(path.string() + ": cannot read the config file");
    return parse_from(text, env, path.string());
}

} // namespace sse_server
