#pragma once

#include "sse_server/base/ip_network.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sse_server {

using milliseconds = std::chrono::milliseconds;

/** A `host:port` pair from the config (`[::1]:8080` for IPv6). Port 0 = any free port. */
struct host_port
{
    std::string host;
    std::uint16_t port = 0;
};

/** How a Redis URL reaches the server (SPEC §6). */
enum class redis_scheme
{
    plain,       // redis://: TCP
    tls,         // rediss://: TLS over TCP, the server's certificate and name verified
    unix_socket, // unix:///path
    sentinel     // redis+sentinel://: the master's address is asked of the sentinels
};

/** `redis://[[user]:password@]host[:port][/db]` or one of the other forms of SPEC §6, split
    into its parts. */
struct redis_url
{
    redis_scheme scheme = redis_scheme::plain;
    std::string host = "127.0.0.1"; // plain, tls
    std::uint16_t port = 6379;
    std::string path;                 // unix_socket: the socket's absolute path
    std::vector<host_port> sentinels; // sentinel: whom to ask, in order
    std::string master;               // sentinel: the master's name
    std::string user;     // empty: AUTH with the password only
    std::string password; // empty: no AUTH
    int db = 0;
};

/** The TLS settings of every rediss:// connection (redis.url and cluster.redis_url alike).
    Verification is always on: there is no key to turn it off. */
struct redis_tls_config
{
    std::string ca_file;     // "": the system's CA certificates
    std::string cert_file;   // client certificate (mutual TLS); with key_file, or neither
    std::string key_file;
    std::string server_name; // SNI and the name checked; "": the URL's host
};

struct listen_config
{
    host_port clients{"0.0.0.0", 8080};
    host_port notify{"127.0.0.1", 8081};
    // Health, readiness and metrics only, never /notify: what a scraper may reach. Empty: no
    // such port, they are on the notification port alone.
    std::optional<host_port> metrics;
    // SO_REUSEPORT on every port, so that several daemons on one host (same user) share them.
    bool reuse_port = false;
    // Peers whose X-Forwarded-For / Forwarded name the client (the access log's address).
    std::vector<ip_network> trusted_proxies;
};

struct redis_config
{
    redis_url url;
    milliseconds timeout{2000};
    std::string password_file; // its contents are url.password (the file's path, for reports)
    redis_tls_config tls;
    std::string username; // redis.username: the ACL user when the URL names none
};

struct session_auth_config
{
    std::string cookie = "sid";
    std::vector<std::string> secrets; // empty: the cookie is the session id, unsigned
    std::string secrets_file;         // its lines are `secrets` (the path, for reports)
    std::string key_prefix = "sess:";
    std::string user_id_pointer = "/userId";
    std::string grants_pointer; // the user's grant patterns (SPEC §2.4a); empty: not read
    std::string groups_pointer; // the user's groups; empty: not read
};

enum class key_hash
{
    none,
    sha256
};

struct api_key_auth_config
{
    std::string key_prefix = "apikey:";
    std::string user_id_pointer = "/userId";
    std::string grants_pointer; // in a JSON key value (SPEC §2.4a); empty: not read
    std::string groups_pointer;
    bool allow_query = false;
    key_hash hash = key_hash::none;
};

struct jwt_keys; // config/jwt_keys.hpp

/** Signed tokens (SPEC §2.2a): where the keys come from, and what a token must say. */
struct jwt_auth_config
{
    std::string key_file;    // a PEM public key or a JWKS document (the path, for reports)
    std::string secret_file; // or an HMAC secret (the path, for reports)
    std::string cookie;      // a cookie that carries a token; empty: only Authorization: Bearer
    std::string issuer;      // `iss` must equal it when set
    std::string audience;    // `aud` (a string or an array) must hold it when set
    milliseconds leeway{30000}; // of clock skew, for exp and nbf
    std::string user_claim = "sub";
    std::string grants_claim; // a claim holding grant patterns (SPEC §2.4a); empty: not read
    std::string groups_claim; // a claim holding groups; empty: not read
    // Read from key_file or secret_file at each load: a reload picks up a rotated key set.
    std::shared_ptr<jwt_keys const> keys;
};

/** Where the auth hook answers (SPEC §2.2a): `http://host[:port]/path[?query]`. */
struct hook_url
{
    bool tls = false; // https://: the certificate verified with the system's CAs
    std::string host; // a name or an address, without the IPv6 brackets
    std::uint16_t port = 80;
    std::string target = "/"; // the path and query, sent as they are
};

/** The auth hook (SPEC §2.2a): the application answers who a request's credentials are. */
struct hook_auth_config
{
    std::string url; // as written (for reports); "" = no hook
    hook_url where;  // url, parsed
    milliseconds timeout{2000};   // for one answer, queueing included
    milliseconds cache_ttl{30000}; // a 200 or a 403 is reused this long; a 401 for 5 s
    std::size_t max_inflight = 64; // requests to the hook at once
};

/** The ways into a stream that auth.methods lets the daemon try (SPEC §2.2a). */
enum class auth_method
{
    api_key,
    session,
    jwt,
    hook
};

struct auth_config
{
    milliseconds revalidate_interval{60000}; // 0 = off
    std::size_t revalidate_in_flight = 1000;  // periodic checks outstanding at once
    std::vector<auth_method> methods{auth_method::api_key, auth_method::session};
    session_auth_config session;
    api_key_auth_config api_key;
    jwt_auth_config jwt;
    hook_auth_config hook;

    bool allows(auth_method method) const
    {
        for (auto const m : methods)
            if (m == method)
                return true;
        return false;
    }
};

/** "api_key", "session", "jwt" or "hook", as auth.methods writes them. */
std::string_view auth_method_name(auth_method method);

struct events_config
{
    std::string account = "user";
    std::vector<std::string> grants{"*"}; // grant patterns of every user (SPEC §2.4a)
};

struct client_config
{
    std::string path = "/events";
    // A stream ends cleanly after about this long (±10 %), so that load spreads over daemons
    // started later; the client resumes. 0 = never.
    milliseconds max_lifetime{0};
    milliseconds retry{3000};
    milliseconds heartbeat{15000};
    std::size_t max_pending_bytes = 1048576;
    milliseconds send_timeout{30000};
    milliseconds header_timeout{10000};
    std::vector<std::string> cors_origins;
};

struct limits_config
{
    std::size_t max_subscriptions = 64;
    std::size_t max_connections = 100000;
    std::size_t max_connections_per_user = 32;
};

struct replay_config
{
    std::size_t capacity = 10000;
    milliseconds max_age{300000};
    std::size_t max_bytes = 67108864; // of frames kept, so that large events cannot exhaust memory
};

struct notify_config
{
    std::string token; // empty: /notify is open to whoever reaches the port
    std::string token_file; // its contents are `token` (the path, for reports)
    std::size_t max_body_bytes = 1048576;
    milliseconds idle_timeout{60000}; // keep-alive: between requests, and for one request
    // Connections each of the notification and metrics ports holds at once; beyond, 503.
    std::size_t max_connections = 256;
};

enum class log_format
{
    text,
    json,
    journal // systemd's journal: a <N> priority prefix per line, no timestamp (journald adds it)
};

struct log_config
{
    std::string level = "info"; // trace, debug, info, warn, error
    log_format format = log_format::text;
    bool access = true; // one line per stream ended or refused
};

struct server_config
{
    milliseconds shutdown_timeout{10000};
    // Streams end spread over this after SIGTERM (at most half of shutdown_timeout); 0 = at once.
    milliseconds drain_period{2000};
    // At start, how long the clients port (and READY=1) waits for Redis before opening anyway;
    // 0 = at once.
    milliseconds ready_timeout{30000};
};

enum class cluster_mode
{
    standalone, // the in-memory replay buffer; one daemon
    redis       // several daemons share one Redis Stream as their event bus (SPEC §5)
};

struct cluster_config
{
    cluster_mode mode = cluster_mode::standalone;
    std::string stream = "sse:events"; // the Redis Stream key
    std::size_t max_len = 100000;      // the stream keeps about this many entries
    std::optional<redis_url> url;      // cluster.redis_url; empty: the bus is on redis.url
};

/** The whole configuration, defaults as in SPEC.md §4. Loaded once at start, then read-only. */
struct config
{
    listen_config listen;
    redis_config redis;
    auth_config auth;
    events_config events;
    client_config client;
    limits_config limits;
    replay_config replay;
    notify_config notify;
    log_config log;
    server_config server;
    cluster_config cluster;
    // What the loader noticed that is no reason to refuse the configuration (a secret file
    // other users may read); logged by whoever loaded it, never part of the settings.
    std::vector<std::string> warnings;
};

/** Where the cluster bus connects: cluster.redis_url when set, else redis.url; with the
    timeout of redis.timeout either way. */
redis_config bus_redis_config(config const& cfg);

/** Start-up misconfiguration; what() names the key, e.g. `client.heartbeat: expected a duration
    like "15s", got 15`. */
class config_error : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/** Looks up an environment variable; empty optional when unset. */
using env_lookup = std::function<std::optional<std::string>(std::string const& name)>;

/** The real process environment (getenv). */
env_lookup process_environment();

/** The names of the process's environment variables that start with SSE_SERVER_. */
std::vector<std::string> process_environment_names();

/** Throws config_error naming the first of `names` (SSE_SERVER_* variables) that overrides no
    key: a misspelt SSE_SERVER_NOTIFY_TOKEN must not leave /notify open unnoticed. */
void refuse_unknown_variables(std::vector<std::string> const& names);

/** Parses TOML text, applies `SSE_SERVER_<PATH>` overrides from `env`, validates.
    Throws config_error naming the key on unknown keys, wrong types and out-of-range values. */
config parse_config(std::string_view toml_text, env_lookup const& env = {});

/** Reads the file, then as parse_config. A missing file is a config_error. */
config load_config(std::filesystem::path const& path, env_lookup const& env = {});

/** The longest duration a config value may hold (SPEC §4): far from any overflow when added
    to a steady_clock time point, or converted to nanoseconds, or rounded up to seconds. */
inline constexpr milliseconds max_duration = std::chrono::hours{24 * 365};

/** Parses "250ms", "15s", "5m", "1h" (and "0s"). Empty optional when malformed or longer than
    max_duration. */
std::optional<milliseconds> parse_duration(std::string_view text);

/** Parses "host:port" or "[v6]:port". Empty optional when malformed. */
std::optional<host_port> parse_host_port(std::string_view text);

/** Parses a Redis URL of any form of SPEC §6: redis://, rediss://, unix://, redis+sentinel://.
    Empty optional when malformed. */
std::optional<redis_url> parse_redis_url(std::string_view text);

/** Parses an auth hook URL, `http://host[:port]/path[?query]` (or `https://`, port 443 by
    default). No user info, no fragment, only visible ASCII. Empty optional when malformed. */
std::optional<hook_url> parse_hook_url(std::string_view text);

/** The URL as it would be written, the password as `<redacted>` when `redact` (for reports). */
std::string redis_url_text(redis_url const& url, bool redact = true);

/** Where a URL leads, for log lines: "host:port", "rediss://host:port", "unix:///path"; no user,
    no password. */
std::string redis_location(redis_url const& url);

/** True for 127.0.0.0/8, ::1 and IPv4-mapped ::ffff:127.x (brackets allowed), and
    "localhost". */
bool is_loopback_host(std::string_view host);

} // namespace sse_server
