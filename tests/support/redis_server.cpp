#include "support/redis_server.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <hiredis/hiredis.h>
#include <iterator>
#include <memory>
#include <netinet/in.h>
#include <signal.h>
#include <stdexcept>
#include <string_view>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace sse_server::test {

namespace {

constexpr int max_attempts = 5;
constexpr auto start_deadline = std::chrono::seconds(10);

char const* redis_binary()
{
#ifdef REDIS_SERVER_BINARY
    return REDIS_SERVER_BINARY;
#else
    return "redis-server";
#endif
}

struct context_deleter
{
    void operator()(redisContext* c) const { redisFree(c); }
};
using context_ptr = std::unique_ptr<redisContext, context_deleter>;

struct reply_deleter
{
    void operator()(redisReply* r) const { freeReplyObject(r); }
};
using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;

/** hiredis's synchronous reply (this helper's own client) as the daemon's type. */
sse_server::redis_reply to_redis_reply(redisReply const& reply)
{
    using kind = sse_server::redis_reply::kind;
    switch (reply.type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
        return {kind::value, std::string(reply.str, reply.len), {}};
    case REDIS_REPLY_INTEGER:
        return {kind::value, std::to_string(reply.integer), {}};
    case REDIS_REPLY_NIL:
        return {kind::nil, {}, {}};
    case REDIS_REPLY_ERROR:
        return {kind::error, std::string(reply.str, reply.len), {}};
    case REDIS_REPLY_ARRAY: {
        sse_server::redis_reply out{kind::array, {}, {}};
        for (std::size_t i = 0; i < reply.elements; ++i)
            out.elements.push_back(to_redis_reply(*reply.element[i]));
        return out;
    }
    default:
        return {kind::value, {}, {}};
    }
}

timeval to_timeval(std::chrono::milliseconds ms)
{
    return {static_cast<time_t>(ms.count() / 1000),
            static_cast<suseconds_t>(ms.count() % 1000 * 1000)};
}

context_ptr connect(std::uint16_t port, std::chrono::milliseconds timeout)
{
    context_ptr c(redisConnectWithTimeout("127.0.0.1", port, to_timeval(timeout)));
    if (!c || c->err)
        return nullptr;
    redisSetTimeout(c.get(), to_timeval(timeout));
    return c;
}

reply_ptr run(redisContext& c, std::vector<std::string> const& args)
{
    std::vector<char const*> argv;
    std::vector<std::size_t> lengths;
    for (auto const& a : args) {
        argv.push_back(a.data());
        lengths.push_back(a.size());
    }
    return reply_ptr(static_cast<redisReply*>(
        redisCommandArgv(&c, static_cast<int>(args.size()), argv.data(), lengths.data())));
}

std::string reply_text(redisReply const& r)
{
    switch (r.type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
        return std::string(r.str, r.len);
    case REDIS_REPLY_ERROR:
        return "(error) " + std::string(r.str, r.len);
    case REDIS_REPLY_INTEGER:
        return std::to_string(r.integer);
    case REDIS_REPLY_NIL:
        return "(nil)";
    default: {
        std::string text;
        for (std::size_t i = 0; i < r.elements; ++i)
            text += (i ? "\n" : "") + reply_text(*r.element[i]);
        return text;
    }
    }
}

void reap(pid_t pid, int options)
{
    int status = 0;
    while (::waitpid(pid, &status, options) < 0 && errno == EINTR) {
    }
}

reply_ptr run_once(std::uint16_t port, std::string const& requirepass,
                   std::vector<std::string> const& args)
{
    auto c = connect(port, std::chrono::milliseconds(5000));
    if (!c)
        throw std::runtime_error("cannot connect to redis-server on port " + std::to_string(port));
    if (!requirepass.empty()) {
        auto const auth = run(*c, {"AUTH", requirepass});
        if (!auth || auth->type == REDIS_REPLY_ERROR)
            throw std::runtime_error("AUTH failed on the test redis-server");
    }
    auto reply = run(*c, args);
    if (!reply)
        throw std::runtime_error("redis-server did not answer: " + std::string(c->errstr));
    return reply;
}

} // namespace

redis_server::redis_server(durability kept) : kept_(kept)
{
    start_first();
}

redis_server::redis_server(std::string requirepass) : requirepass_(std::move(requirepass))
{
    start_first();
}

redis_server::redis_server(redis_server_options options)
    : requirepass_(options.requirepass), options_(std::move(options))
{
    start_first();
}

void redis_server::start_first()
{
    std::string pattern = (std::filesystem::temp_directory_path() / "sse-redis-XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
        throw std::runtime_error("cannot create a temporary directory for redis-server");
    dir_ = pattern;
    std::string error;
    try {
        for (int attempt = 0; attempt < max_attempts; ++attempt) {
            port_ = pick_free_port();
            if (!options_.tls_cert_file.empty())
                tls_port_ = pick_free_port();
            if (options_.sentinel_of != 0)
                write_sentinel_config();
            if (launch())
                return;
        }
        error = "redis-server did not start: " + log_tail();
    } catch (std::exception const& e) {
        error = e.what();
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    throw std::runtime_error(error);
}

redis_server::~redis_server()
{
    kill_and_reap();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

std::string redis_server::url() const
{
    return "redis://127.0.0.1:" + std::to_string(port_) + "/0";
}

void redis_server::write_sentinel_config() const
{
    // A sentinel needs a file it may rewrite: it records there what it learns (replicas, other
    // sentinels, the current master). The failover timeout bounds a switch's steps.
    auto const& name = options_.sentinel_master;
    std::ofstream conf(dir_ / "sentinel.conf", std::ios::trunc);
    conf << "port " << port_ << "\nbind 127.0.0.1\ndir " << dir_.string() << "\n"
         << "sentinel monitor " << name << " 127.0.0.1 " << options_.sentinel_of << " "
         << options_.sentinel_quorum << "\n"
         << "sentinel down-after-milliseconds " << name << " 1000\n"
         << "sentinel failover-timeout " << name << " 5000\n"
         << "sentinel parallel-syncs " << name << " 1\n";
    if (!options_.master_password.empty())
        conf << "sentinel auth-pass " << name << " " << options_.master_password << "\n";
    if (!conf)
        throw std::runtime_error("cannot write " + (dir_ / "sentinel.conf").string());
}

bool redis_server::launch()
{
    bool const append_only = kept_ == durability::append_fsync_always;
    std::vector<std::string> args = {
        redis_binary(), "--port", std::to_string(port_), "--bind", "127.0.0.1",
        "--save",       "",       "--appendonly",        append_only ? "yes" : "no",
        "--dir",        dir_.string()};
    if (append_only) {
        // Every write is on disk before Redis acknowledges it: a SIGKILL loses nothing.
        args.push_back("--appendfsync");
        args.push_back("always");
    }
    if (!requirepass_.empty()) {
        args.push_back("--requirepass");
        args.push_back(requirepass_);
    }
    if (tls_port_ != 0) {
        args.insert(args.end(), {"--tls-port", std::to_string(tls_port_), "--tls-cert-file",
                                 options_.tls_cert_file, "--tls-key-file", options_.tls_key_file,
                                 "--tls-auth-clients",
                                 options_.tls_auth_clients ? "yes" : "no"});
        if (!options_.tls_ca_file.empty()) {
            args.emplace_back("--tls-ca-cert-file");
            args.push_back(options_.tls_ca_file);
        }
    }
    if (options_.unix_socket) {
        args.insert(args.end(),
                    {"--unixsocket", unix_path().string(), "--unixsocketperm", "700"});
    }
    if (options_.replica_of != 0)
        args.insert(args.end(), {"--replicaof", "127.0.0.1", std::to_string(options_.replica_of)});
    if (!options_.master_password.empty() && options_.sentinel_of == 0)
        args.insert(args.end(), {"--masterauth", options_.master_password});
    if (options_.sentinel_of != 0)
        args = {redis_binary(), (dir_ / "sentinel.conf").string(), "--sentinel"};
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    auto const log = (dir_ / "redis.log").string();
    int const log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log_fd < 0)
        throw std::runtime_error("cannot open " + log);
    pid_t const pid = ::fork();
    if (pid < 0) {
        ::close(log_fd);
        throw std::runtime_error("fork() failed");
    }
    if (pid == 0) {
        // Only async-signal-safe calls between fork and exec. Redis dies with the test process,
        // even when the test crashes.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        ::dup2(log_fd, STDOUT_FILENO);
        ::dup2(log_fd, STDERR_FILENO);
        ::execvp(argv[0], argv.data());
        static char const message[] = "cannot execute redis-server\n";
        [[maybe_unused]] auto n = ::write(STDERR_FILENO, message, sizeof message - 1);
        ::_exit(127);
    }
    ::close(log_fd);
    pid_ = pid;

    // Nothing to wait on but the port itself: poll it, a few milliseconds apart.
    auto const deadline = std::chrono::steady_clock::now() + start_deadline;
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return false;
        }
        if (auto c = connect(port_, std::chrono::milliseconds(200))) {
            // Any answer, NOAUTH included, means it is serving; LOADING means it is still
            // reading its append-only file back.
            auto const pong = run(*c, {"PING"});
            if (pong && !(pong->type == REDIS_REPLY_ERROR &&
                          std::string_view(pong->str, pong->len).starts_with("LOADING")))
                return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    kill_and_reap();
    throw std::runtime_error("redis-server did not answer within 10 s: " + log_tail());
}

void redis_server::kill_and_reap()
{
    if (pid_ <= 0)
        return;
    ::kill(pid_, SIGKILL);
    reap(pid_, 0);
    pid_ = -1;
}

void redis_server::stop()
{
    kill_and_reap();
}

void redis_server::start()
{
    if (pid_ > 0)
        return;
    if (!launch())
        throw std::runtime_error("redis-server did not restart on port " + std::to_string(port_) +
                                 ": " + log_tail());
}

void redis_server::pause()
{
    if (pid_ <= 0)
        return;
    ::kill(pid_, SIGSTOP);
    reap(pid_, WUNTRACED); // returns once it is stopped
}

void redis_server::resume()
{
    if (pid_ <= 0)
        return;
    ::kill(pid_, SIGCONT);
    reap(pid_, WCONTINUED);
}

void redis_server::set(std::string const& key, std::string const& value)
{
    auto const reply = command({"SET", key, value});
    if (reply != "OK")
        throw std::runtime_error("SET failed: " + reply);
}

void redis_server::del(std::string const& key)
{
    command({"DEL", key});
}

std::string redis_server::command(std::vector<std::string> const& args)
{
    return reply_text(*run_once(port_, requirepass_, args));
}

sse_server::redis_reply redis_server::reply(std::vector<std::string> const& args)
{
    return to_redis_reply(*run_once(port_, requirepass_, args));
}

std::string redis_server::log_tail() const
{
    std::ifstream in(dir_ / "redis.log");
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (text.size() > 2000)
        text.erase(0, text.size() - 2000);
    return text;
}

std::uint16_t pick_free_port()
{
    int const fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        throw std::runtime_error("socket() failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    bool const ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    ::close(fd);
    if (!ok)
        throw std::runtime_error("cannot find a free port");
    return ntohs(addr.sin_port);
}

} // namespace sse_server::test
