#include "sse_server/config/config_report.hpp"

#include "sse_server/config/jwt_keys.hpp"

#include <algorithm>
#include <cstdio>

namespace sse_server {

namespace {

constexpr std::string_view redacted = "<redacted>";

std::string toml_string(std::string_view text)
{
    std::string out = "\"";
    for (char const c : text) {
        auto const byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (byte < 0x20 || byte == 0x7f) {
            char buf[8];
            (void)std::snprintf(buf, sizeof buf, "\\u%04x", unsigned{byte});
            out += buf;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

std::string strings(std::vector<std::string> const& items)
{
    std::string out = "[";
    for (auto const& item : items)
        out += (out.size() > 1 ? ", " : "") + toml_string(item);
    return out + "]";
}

// The largest unit that divides the value: what a person would have written.
std::string duration(milliseconds value)
{
    auto const ms = value.count();
    if (ms != 0 && ms % 3'600'000 == 0)
        return toml_string(std::to_string(ms / 3'600'000) + "h");
    if (ms != 0 && ms % 60'000 == 0)
        return toml_string(std::to_string(ms / 60'000) + "m");
    if (ms % 1000 == 0)
        return toml_string(std::to_string(ms / 1000) + "s");
    return toml_string(std::to_string(ms) + "ms");
}

std::string address(host_port const& a)
{
    auto const host = a.host.find(':') == std::string::npos ? a.host : "[" + a.host + "]";
    return toml_string(host + ":" + std::to_string(a.port));
}

std::string url(redis_url const& u, bool redact)
{
    return toml_string(redis_url_text(u, redact));
}

std::string secret(std::string const& value, bool redact)
{
    return redact && !value.empty() ? toml_string(redacted) : toml_string(value);
}

std::string networks(std::vector<ip_network> const& items)
{
    std::vector<std::string> texts;
    for (auto const& item : items)
        texts.push_back(to_string(item));
    return strings(texts);
}

std::string methods(std::vector<auth_method> const& items)
{
    std::vector<std::string> names;
    for (auto const item : items)
        names.emplace_back(auth_method_name(item));
    return strings(names);
}

std::string flag(bool value)
{
    return value ? "true" : "false";
}

} // namespace

std::vector<effective_setting> effective_settings(config const& c, bool redact)
{
    auto const number = [](std::size_t n) { return std::to_string(n); };
    auto const secrets = redact && !c.auth.session.secrets.empty()
                             ? strings({std::string(redacted)})
                             : strings(c.auth.session.secrets);
    char const* const formats[] = {"text", "json", "journal"};
    return {
        {"listen.clients", address(c.listen.clients)},
        {"listen.notify", address(c.listen.notify)},
        {"listen.metrics", c.listen.metrics ? address(*c.listen.metrics) : toml_string("")},
        {"listen.reuse_port", flag(c.listen.reuse_port)},
        {"listen.trusted_proxies", networks(c.listen.trusted_proxies)},
        {"redis.url", url(c.redis.url, redact)},
        {"redis.password_file", toml_string(c.redis.password_file)},
        {"redis.username", toml_string(c.redis.username)},
        {"redis.timeout", duration(c.redis.timeout)},
        {"redis.tls_ca_file", toml_string(c.redis.tls.ca_file)},
        {"redis.tls_cert_file", toml_string(c.redis.tls.cert_file)},
        {"redis.tls_key_file", toml_string(c.redis.tls.key_file)},
        {"redis.tls_server_name", toml_string(c.redis.tls.server_name)},
        {"auth.revalidate_interval", duration(c.auth.revalidate_interval)},
        {"auth.revalidate_in_flight", number(c.auth.revalidate_in_flight)},
        {"auth.methods", methods(c.auth.methods)},
        {"auth.session.cookie", toml_string(c.auth.session.cookie)},
        {"auth.session.secrets", secrets},
        {"auth.session.secrets_file", toml_string(c.auth.session.secrets_file)},
        {"auth.session.key_prefix", toml_string(c.auth.session.key_prefix)},
        {"auth.session.user_id_pointer", toml_string(c.auth.session.user_id_pointer)},
        {"auth.session.grants_pointer", toml_string(c.auth.session.grants_pointer)},
        {"auth.session.groups_pointer", toml_string(c.auth.session.groups_pointer)},
        {"auth.api_key.key_prefix", toml_string(c.auth.api_key.key_prefix)},
        {"auth.api_key.user_id_pointer", toml_string(c.auth.api_key.user_id_pointer)},
        {"auth.api_key.grants_pointer", toml_string(c.auth.api_key.grants_pointer)},
        {"auth.api_key.groups_pointer", toml_string(c.auth.api_key.groups_pointer)},
        {"auth.api_key.allow_query", flag(c.auth.api_key.allow_query)},
        {"auth.api_key.hash", toml_string(c.auth.api_key.hash == key_hash::sha256 ? "sha256" : "none")},
        {"auth.jwt.key_file", toml_string(c.auth.jwt.key_file)},
        {"auth.jwt.secret_file", toml_string(c.auth.jwt.secret_file)},
        {"auth.jwt.cookie", toml_string(c.auth.jwt.cookie)},
        {"auth.jwt.issuer", toml_string(c.auth.jwt.issuer)},
        {"auth.jwt.audience", toml_string(c.auth.jwt.audience)},
        {"auth.jwt.leeway", duration(c.auth.jwt.leeway)},
        {"auth.jwt.user_claim", toml_string(c.auth.jwt.user_claim)},
        {"auth.jwt.grants_claim", toml_string(c.auth.jwt.grants_claim)},
        {"auth.jwt.groups_claim", toml_string(c.auth.jwt.groups_claim)},
        {"auth.hook.url", toml_string(c.auth.hook.url)},
        {"auth.hook.timeout", duration(c.auth.hook.timeout)},
        {"auth.hook.cache_ttl", duration(c.auth.hook.cache_ttl)},
        {"auth.hook.max_inflight", number(c.auth.hook.max_inflight)},
        {"events.account", toml_string(c.events.account)},
        {"events.grants", strings(c.events.grants)},
        {"client.path", toml_string(c.client.path)},
        {"client.max_lifetime", duration(c.client.max_lifetime)},
        {"client.retry", duration(c.client.retry)},
        {"client.heartbeat", duration(c.client.heartbeat)},
        {"client.max_pending_bytes", number(c.client.max_pending_bytes)},
        {"client.send_timeout", duration(c.client.send_timeout)},
        {"client.header_timeout", duration(c.client.header_timeout)},
        {"client.cors_origins", strings(c.client.cors_origins)},
        {"limits.max_subscriptions", number(c.limits.max_subscriptions)},
        {"limits.max_connections", number(c.limits.max_connections)},
        {"limits.max_connections_per_user", number(c.limits.max_connections_per_user)},
        {"replay.capacity", number(c.replay.capacity)},
        {"replay.max_age", duration(c.replay.max_age)},
        {"replay.max_bytes", number(c.replay.max_bytes)},
        {"notify.token", secret(c.notify.token, redact)},
        {"notify.token_file", toml_string(c.notify.token_file)},
        {"notify.max_body_bytes", number(c.notify.max_body_bytes)},
        {"notify.idle_timeout", duration(c.notify.idle_timeout)},
        {"notify.max_connections", number(c.notify.max_connections)},
        {"log.level", toml_string(c.log.level)},
        {"log.format", toml_string(formats[static_cast<int>(c.log.format)])},
        {"log.access", flag(c.log.access)},
        {"server.shutdown_timeout", duration(c.server.shutdown_timeout)},
        {"server.drain_period", duration(c.server.drain_period)},
        {"server.ready_timeout", duration(c.server.ready_timeout)},
        {"cluster.mode", toml_string(c.cluster.mode == cluster_mode::redis ? "redis" : "standalone")},
        {"cluster.stream", toml_string(c.cluster.stream)},
        {"cluster.max_len", number(c.cluster.max_len)},
        {"cluster.redis_url", c.cluster.url ? url(*c.cluster.url, redact) : toml_string("")},
    };
}

std::string effective_config_text(config const& cfg)
{
    std::string out;
    std::string section;
    for (auto const& [path, value] : effective_settings(cfg, true)) {
        auto const dot = path.rfind('.');
        auto const table = path.substr(0, dot);
        if (table != section) {
            out += (out.empty() ? "[" : "\n[") + table + "]\n";
            section = table;
        }
        out += path.substr(dot + 1) + " = " + value + "\n";
    }
    return out;
}

std::vector<std::string> changed_keys(config const& before, config const& after)
{
    auto const a = effective_settings(before, false);
    auto const b = effective_settings(after, false);
    std::vector<std::string> changed;
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
        if (a[i].value != b[i].value)
            changed.push_back(a[i].path);
    return changed;
}

bool is_reloadable(std::string_view key)
{
    return key.starts_with("log.") || key.starts_with("limits.") ||
           key == "auth.session.secrets" || key == "auth.session.secrets_file" ||
           key == "notify.token" || key == "notify.token_file" || key == "client.cors_origins" ||
           key == "listen.trusted_proxies" || key == "auth.methods" ||
           key.starts_with("auth.jwt.");
}

reload_outcome apply_reloadable(config& running, config const& fresh)
{
    if (fresh.notify.token.empty() && !is_loopback_host(running.listen.notify.host))
        throw config_error("notify.token: must stay set: listen.notify (not a loopback address) "
                           "changes only at a restart");
    // The hook's client is made at start, for the URL then set: a method it would serve needs
    // that URL to have been there.
    if (fresh.auth.allows(auth_method::hook) && running.auth.hook.url.empty())
        throw config_error(R"(auth.methods: "hook" needs auth.hook.url, which takes effect only )"
                           "at a restart");
    reload_outcome outcome;
    for (auto& key : changed_keys(running, fresh))
        (is_reloadable(key) ? outcome.applied : outcome.need_restart).push_back(std::move(key));
    // A key set rotated in place (same path, new contents) changes no setting's text.
    auto const fingerprint = [](config const& c) {
        return c.auth.jwt.keys ? c.auth.jwt.keys->fingerprint : std::string();
    };
    if (fingerprint(running) != fingerprint(fresh) &&
        std::find_if(outcome.applied.begin(), outcome.applied.end(), [](std::string const& k) {
            return k == "auth.jwt.key_file" || k == "auth.jwt.secret_file";
        }) == outcome.applied.end())
        outcome.applied.emplace_back(fresh.auth.jwt.secret_file.empty() ? "auth.jwt.key_file"
                                                                         : "auth.jwt.secret_file");
    running.log = fresh.log;
    running.auth.methods = fresh.auth.methods;
    running.auth.jwt = fresh.auth.jwt;
    running.auth.session.secrets = fresh.auth.session.secrets;
    running.auth.session.secrets_file = fresh.auth.session.secrets_file;
    running.notify.token = fresh.notify.token;
    running.notify.token_file = fresh.notify.token_file;
    running.limits = fresh.limits;
    running.client.cors_origins = fresh.client.cors_origins;
    running.listen.trusted_proxies = fresh.listen.trusted_proxies;
    return outcome;
}

} // namespace sse_server
