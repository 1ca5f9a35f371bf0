#include "sse_server/config/config.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <system_error>
#include <toml++/toml.h>
#include <unistd.h>
#include <utility>

#include "sse_server/config/config_jwt.hpp"
#include "sse_server/config/config_keys.hpp"
#include "sse_server/config/config_setting.hpp"

// The loader: the file, then the environment over it, then the checks that span several keys.

namespace sse_server {

namespace {

std::string to_string(host_port const& address)
{
    auto const host =
        address.host.find(':') == std::string::npos ? address.host : "[" + address.host + "]";
    return host + ":" + std::to_string(address.port);
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
    auto const bare_char = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
    };
    auto const bare = !key.empty() && std::all_of(key.begin(), key.end(), bare_char);
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

// Mutual TLS needs both halves: a certificate without its key (or a key alone) is a typo that
// would only show at the first connect.
void require_tls_pair(config const& result)
{
    auto const& tls = result.redis.tls;
    if (tls.cert_file.empty() != tls.key_file.empty())
        throw config_error(std::string(tls.cert_file.empty() ? "redis.tls_key_file"
                                                             : "redis.tls_cert_file") +
                           ": set redis.tls_cert_file and redis.tls_key_file together (mutual "
                           "TLS), or neither");
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
    for (auto const& key : known_keys()) {
        auto const variable = variable_name(key.path);
        if (auto value = env ? env(variable) : std::nullopt)
            key.apply(result, setting{key.path, variable, std::move(*value), key.secret});
        else if (auto const* node = file.at_path(key.path).node())
            key.apply(result, setting{key.path, *node, key.secret});
    }
    require_token_off_loopback(result);
    require_tls_pair(result);
    check_auth_methods(result);
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

std::vector<std::string> process_environment_names()
{
    std::vector<std::string> names;
    for (char** entry = environ; entry && *entry; ++entry) {
        std::string_view const text = *entry;
        if (text.starts_with("SSE_SERVER_"))
            names.emplace_back(text.substr(0, text.find('=')));
    }
    return names;
}

void refuse_unknown_variables(std::vector<std::string> const& names)
{
    for (auto const& name : names) {
        auto const known = std::any_of(known_keys().begin(), known_keys().end(),
                                       [&](key_spec const& key) {
                                           return variable_name(key.path) == name;
                                       });
        if (!known)
            throw config_error(name + ": no such setting (an SSE_SERVER_ variable must name a "
                                      "key, e.g. SSE_SERVER_NOTIFY_TOKEN for notify.token)");
    }
}

redis_config bus_redis_config(config const& cfg)
{
    // The TLS settings hold for both: one CA and one client identity for the deployment's Redis.
    // The user and password are each URL's own: redis.username and redis.password_file
    // complete redis.url only.
    return redis_config{cfg.cluster.url.value_or(cfg.redis.url), cfg.redis.timeout, {},
                        cfg.redis.tls, cfg.cluster.url ? std::string() : cfg.redis.username};
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
