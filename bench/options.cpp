#include "options.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <cmath>
#include <functional>
#include <map>

namespace sse_server::bench {

namespace {

constexpr std::size_t max_connections = 1'000'000;
constexpr std::size_t max_notifications = 10'000'000;
constexpr double max_deliveries = 1e9;

std::optional<std::uint64_t> to_unsigned(std::string const& text)
{
    std::uint64_t value = 0;
    auto const* end = text.data() + text.size();
    auto const [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{} || ptr != end || text.empty())
        return std::nullopt;
    return value;
}

std::optional<double> to_double(std::string const& text)
{
    double value = 0;
    auto const* end = text.data() + text.size();
    auto const [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{} || ptr != end || text.empty() || !std::isfinite(value) || value < 0)
        return std::nullopt;
    return value;
}

// The bench opens thousands of connections and pushes as fast as it can: it is meant for a
// private daemon on this machine, never for someone else's server.
// `any_port`: 0 is allowed, the kernel picks one.
std::optional<endpoint> to_loopback(std::string const& text, bool any_port = false)
{
    auto const colon = text.rfind(':');
    if (colon == std::string::npos)
        return std::nullopt;
    endpoint e;
    e.host = text.substr(0, colon);
    if (e.host.size() > 2 && e.host.front() == '[' && e.host.back() == ']')
        e.host = e.host.substr(1, e.host.size() - 2);
    if (e.host == "localhost")
        e.host = "127.0.0.1";
    auto const port = to_unsigned(text.substr(colon + 1));
    if (!port || (*port == 0 && !any_port) || *port > 65535)
        return std::nullopt;
    e.port = static_cast<std::uint16_t>(*port);
    boost::system::error_code ec;
    auto const address = boost::asio::ip::make_address(e.host, ec);
    if (ec || !address.is_loopback())
        return std::nullopt;
    return e;
}

} // namespace

std::string usage()
{
    return R"(usage: sse-bench [options]
Opens SSE streams to a running sse-server (or nginx + Nchan), posts notifications that carry
their send time and a sequence number, and reports connection set-up, delivery latency, loss,
order and throughput. Loopback only.

  --target sse-server|nchan  the server under test                (sse-server)
  --clients HOST:PORT        the stream port                      (127.0.0.1:8080)
  --notify HOST:PORT         the notification port (Nchan: the same nginx port) (127.0.0.1:8081)
  --redis HOST:PORT          create the API keys in this Redis first (pipelined); without it
                             the keys <api-key-prefix><i> must already exist (sse-server only)
  --redis-key-prefix P       the daemon's auth.api_key.key_prefix  (apikey:)
  --api-key-prefix P         API key i is P<i>, user id 1000000+i  (sse-bench-)
  --account-event NAME       the daemon's events.account           (user)
  --notify-token T           bearer token for /notify, when the daemon has one
  --connections N            SSE streams to open; 0 = ingest only (100)
  --events K                 stream i subscribes to bench-<i mod K> (1)
  --account-every A          every A-th notification is an account event for one stream's user
                             (Nchan: channel user-<i>, which stream i also subscribes to) (0 = none)
  --broadcast B              notifications 0..B-1 go to every stream: each also subscribes to
                             bench-all; the others are routed as above, counted from B. Their
                             latency is reported apart (broadcast_latency_ms) (sse-server only) (0)
  --notifications M          notifications to post               (1000)
  --rate R                   notifications per second, 0 = as fast as possible (0)
  --notify-connections P     keep-alive connections posting notifications (1)
  --pipeline D               requests in flight on each of them  (1)
  --batch B                  notifications per POST, a JSON array when B > 1 (sse-server only) (1)
  --payload BYTES            padding added to each notification's data (0)
  --claims-grants N          each API key is JSON with N grant patterns at /grants, the last
                             bench-*, the others granting nothing (the daemon's
                             auth.api_key.grants_pointer must be "/grants") (0: none)
  --claims-groups M          each API key is JSON with M groups at /groups: g<i mod M> for
                             stream i, and role1..role<M-1> (groups_pointer "/groups") (0: none)
  --audience-users U         every named notification carries an audience naming the users of
                             streams 0..U-1 (0)
  --audience-groups G        and the groups g0..g<G-1>; streams in neither must receive
                             nothing (0)
  --audience-by-name         the baseline: no audience; the streams it would leave out subscribe
                             to bench-outside instead, which gets no notification
  --jwt-hs256 FILE           streams present Authorization: Bearer <JWT> instead of an API key,
                             HS256 under the secret in FILE (less a final newline); sub = the
                             stream's user, exp = now + 1 h; signed before the first connect
                             (the daemon's auth.jwt.secret_file, "jwt" in auth.methods)
  --jwt-rs256 FILE           the same, RS256 with the PEM private key in FILE (the daemon's
                             auth.jwt.key_file: its public half)
  --serve-hook HOST:PORT     no run: serve the daemon's auth hook here (port 0: any; the
                             first line of output names it) until SIGTERM; API key
                             <api-key-prefix><i> (X-API-Key or Bearer) is user 1000000+i, else
                             401; prints the users answered and their rate at the end
  --connect-window W         streams being opened at the same time (256)
  --source-addresses S       streams connect from 127.0.0.1 .. 127.0.0.S, round-robin (254)
  --slow K                   K streams, spread evenly, stop reading once open; at the end the
                             bench reads them to see whether the server closed them (0)
  --slow-drain MS            how long it reads them, at most, in milliseconds (5000)
  --hold S                   keep the open streams idle this long before posting (0)
  --duration S               hard cap on the whole run, in seconds (60)
  --receive-only             post nothing: another sse-bench posts notifications 0..M-1 (same
                             --notifications, --events, --account-every, --notify-connections),
                             maybe through another daemon of a cluster; latency compares its
                             send time with this process's clock (CLOCK_MONOTONIC, system-wide)
  --ready-file PATH          create PATH once every stream is open (and the hold is over),
                             when this process would start posting
  --broadcast-file PATH      create PATH once every open stream has received the B broadcasts
  --post-from F              post notifications F..M-1 only: another sse-bench posted 0..F-1
                             before (needs --connections 0) (0)
  --reconnect-to HOST:PORT[,HOST:PORT...]
                             a stream that ends reconnects, stream i to address i mod n, after
                             the daemon's retry: stretched by 0..50 % (doubled after each failed
                             attempt, as the browser client does), with Last-Event-ID and its
                             API key, and must lose nothing; a resync or a refusal is a failure
                             (sse-server only)
  --reconnect-attempts N     reconnects per stream at most (5)
  --back-file PATH           create PATH once every stream that ended is open again
  --server-pid PID           sample the server's VmRSS (before, streams open, peak, end) and its
                             CPU time; for Nchan the worker's pid (alias: --daemon-pid)
  --label TEXT               copied into the JSON line
  --help
Prints one summary line and one JSON line. Exit status 0 when every stream opened and every
event arrived once and in order (and, on sse-server, every slow stream was closed), 1
otherwise, 2 on a usage error.
)";
}

char const* to_string(server_kind k)
{
    return k == server_kind::nchan ? "nchan" : "sse-server";
}

parsed_options parse_options(std::vector<std::string> const& args)
{
    parsed_options out;
    auto& o = out.opts;
    auto count = [](std::size_t& field, std::uint64_t min) {
        return [&field, min](std::string const& v) {
            auto const n = to_unsigned(v);
            if (!n || *n < min)
                return false;
            field = static_cast<std::size_t>(*n);
            return true;
        };
    };
    auto where = [](endpoint& field) {
        return [&field](std::string const& v) {
            auto const e = to_loopback(v);
            if (e)
                field = *e;
            return e.has_value();
        };
    };
    auto text = [](std::string& field) {
        return [&field](std::string const& v) {
            field = v;
            return true;
        };
    };
    auto flag = [](bool& field) {
        return [&field](std::string const& v) {
            field = v == "true";
            return v == "true" || v == "false";
        };
    };
    auto jwt = [&o](jwt_algorithm alg) {
        return [&o, alg](std::string const& v) {
            if (v.empty() || (o.jwt != jwt_algorithm::none && o.jwt != alg))
                return false; // one algorithm per run
            o.jwt = alg;
            o.jwt_key_file = v;
            return true;
        };
    };
    auto pid = [&o](std::string const& v) {
        auto const p = to_unsigned(v);
        if (!p || *p == 0 || *p > 0x3fffffff)
            return false;
        o.server_pid = static_cast<int>(*p);
        return true;
    };
    std::map<std::string, std::function<bool(std::string const&)>, std::less<>> const setters{
        {"--target",
         [&o](std::string const& v) {
             if (v != "sse-server" && v != "nchan")
                 return false;
             o.target = v == "nchan" ? server_kind::nchan : server_kind::sse_server;
             return true;
         }},
        {"--clients", where(o.clients)},
        {"--notify", where(o.notify)},
        {"--redis",
         [&o](std::string const& v) {
             auto const e = to_loopback(v);
             if (e)
                 o.redis = *e;
             return e.has_value();
         }},
        {"--redis-key-prefix", text(o.redis_key_prefix)},
        {"--api-key-prefix", text(o.api_key_prefix)},
        {"--notify-token", text(o.notify_token)},
        {"--account-event", text(o.account_event)},
        {"--connections", count(o.connections, 0)},
        {"--account-every", count(o.account_every, 0)},
        {"--broadcast", count(o.broadcast, 0)},
        {"--post-from", count(o.post_from, 0)},
        {"--pipeline", count(o.pipeline, 1)},
        {"--source-addresses", count(o.source_addresses, 1)},
        {"--slow", count(o.slow, 0)},
        {"--slow-drain",
         [&o](std::string const& v) {
             auto const ms = to_unsigned(v);
             if (!ms || *ms > 600'000)
                 return false;
             o.slow_drain = std::chrono::milliseconds(*ms);
             return true;
         }},
        {"--events", count(o.events, 1)},
        {"--notifications", count(o.notifications, 0)},
        {"--rate",
         [&o](std::string const& v) {
             auto const r = to_double(v);
             if (r)
                 o.rate = *r;
             return r.has_value();
         }},
        {"--notify-connections", count(o.notify_connections, 1)},
        {"--batch", count(o.batch, 1)},
        {"--payload", count(o.payload, 0)},
        {"--claims-grants", count(o.claims_grants, 0)},
        {"--claims-groups", count(o.claims_groups, 0)},
        {"--audience-users", count(o.audience_users, 0)},
        {"--audience-groups", count(o.audience_groups, 0)},
        {"--audience-by-name", flag(o.audience_by_name)},
        {"--jwt-hs256", jwt(jwt_algorithm::hs256)},
        {"--jwt-rs256", jwt(jwt_algorithm::rs256)},
        {"--serve-hook",
         [&o](std::string const& v) {
             auto const e = to_loopback(v, true);
             if (e)
                 o.serve_hook = *e;
             return e.has_value();
         }},
        {"--connect-window", count(o.connect_window, 1)},
        {"--duration",
         [&o](std::string const& v) {
             auto const s = to_unsigned(v);
             if (!s || *s == 0 || *s > 24 * 3600)
                 return false;
             o.duration = std::chrono::seconds(*s);
             return true;
         }},
        {"--hold",
         [&o](std::string const& v) {
             auto const s = to_unsigned(v);
             if (!s || *s > 3600)
                 return false;
             o.hold = std::chrono::seconds(*s);
             return true;
         }},
        {"--receive-only", flag(o.receive_only)},
        {"--ready-file", text(o.ready_file)},
        {"--broadcast-file", text(o.broadcast_file)},
        {"--server-pid", pid},
        {"--daemon-pid", pid},
        {"--label", text(o.label)},
        {"--reconnect-to",
         [&o](std::string const& v) {
             o.reconnect_to.clear();
             for (std::size_t from = 0; from <= v.size();) {
                 auto const comma = std::min(v.find(',', from), v.size());
                 auto const e = to_loopback(v.substr(from, comma - from));
                 if (!e)
                     return false;
                 o.reconnect_to.push_back(*e);
                 from = comma + 1;
             }
             return true;
         }},
        {"--reconnect-attempts", count(o.reconnect_attempts, 1)},
        {"--back-file", text(o.back_file)},
    };

    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string name = args[i];
        if (name == "--help" || name == "-h") {
            out.help = true;
            return out;
        }
        std::optional<std::string> value;
        if (auto const eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name.resize(eq);
        }
        auto const setter = setters.find(name);
        if (setter == setters.end()) {
            out.error = "unknown option " + name;
            return out;
        }
        if (!value && (name == "--receive-only" || name == "--audience-by-name"))
            value = "true"; // a flag: --receive-only, or --receive-only=false
        if (!value) {
            if (i + 1 == args.size()) {
                out.error = name + " needs a value";
                return out;
            }
            value = args[++i];
        }
        if (!setter->second(*value)) {
            out.error = "bad value for " + name + ": " + *value +
                        (name == "--clients" || name == "--notify" || name == "--redis" ||
                                 name == "--serve-hook"
                             ? " (a loopback HOST:PORT)"
                             : "");
            return out;
        }
    }
    // Each stream keeps one bit per notification of its name, and the run one event id per
    // notification: bound both.
    auto const per_stream = (o.notifications + o.events - 1) / o.events;
    if (o.connections > max_connections)
        out.error = "--connections is at most " + std::to_string(max_connections);
    else if (o.notifications > max_notifications)
        out.error = "--notifications is at most " + std::to_string(max_notifications);
    else if (static_cast<double>(o.connections) * static_cast<double>(per_stream) > max_deliveries)
        out.error = "connections x notifications per event name is at most 1e9";
    else if (o.source_addresses > 254)
        out.error = "--source-addresses is at most 254 (127.0.0.1 .. 127.0.0.254)";
    else if (o.slow > o.connections)
        out.error = "--slow is at most --connections";
    else if (o.account_every == 1)
        out.error = "--account-every is at least 2 (every A-th notification; 0 = none)";
    else if (o.account_every > 0 && o.connections == 0)
        out.error = "--account-every needs streams";
    else if (o.target == server_kind::nchan && o.batch > 1)
        out.error = "--batch: Nchan publishes one message per POST";
    else if (o.receive_only && o.connections == 0)
        out.error = "--receive-only needs streams";
    else if (o.target == server_kind::nchan &&
             (o.claims_grants || o.claims_groups || o.audience_users || o.audience_groups))
        out.error = "--claims-* and --audience-*: Nchan has neither claims nor audiences";
    else if (o.claims_grants > 256 || o.claims_groups > 256)
        out.error =
            "--claims-grants and --claims-groups are at most 256 (the daemon reads no more)";
    else if (o.audience_by_name && o.audience_users == 0 && o.audience_groups == 0)
        out.error = "--audience-by-name needs --audience-users or --audience-groups";
    else if (o.audience_groups > 0 && o.claims_groups == 0)
        out.error = "--audience-groups needs --claims-groups: streams without groups";
    else if (o.target == server_kind::nchan && o.redis)
        out.error = "--redis: Nchan streams are not authenticated";
    else if (o.broadcast > o.notifications)
        out.error = "--broadcast is at most --notifications";
    else if (o.broadcast > 0 && o.target == server_kind::nchan)
        out.error = "--broadcast: sse-server only";
    else if (o.broadcast > 0 && (o.audience_users || o.audience_groups))
        out.error = "--broadcast and --audience-*: a broadcast has no audience";
    else if (!o.broadcast_file.empty() && (o.broadcast == 0 || o.connections == 0))
        out.error = "--broadcast-file needs --broadcast and streams";
    else if (o.post_from > 0 && o.connections > 0)
        out.error = "--post-from needs --connections 0: streams would miss 0..F-1";
    else if (o.post_from > 0 && o.post_from >= o.notifications)
        out.error = "--post-from must be below --notifications";
    else if (!o.reconnect_to.empty() && (o.connections == 0 || o.target == server_kind::nchan))
        out.error = "--reconnect-to needs streams, on sse-server (they resume with Last-Event-ID)";
    else if (o.reconnect_attempts > 100)
        out.error = "--reconnect-attempts is at most 100";
    else if (!o.back_file.empty() && o.reconnect_to.empty())
        out.error = "--back-file needs --reconnect-to";
    else if (o.jwt != jwt_algorithm::none && o.target == server_kind::nchan)
        out.error = "--jwt-*: Nchan streams are not authenticated";
    else if (o.jwt != jwt_algorithm::none && (o.claims_grants || o.claims_groups))
        out.error = "--jwt-* and --claims-*: the tokens carry no claims but the user";
    return out;
}

} // namespace sse_server::bench
