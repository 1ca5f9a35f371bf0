#include "support/http_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <thread>

namespace sse_server::test {

namespace {

using clock = std::chrono::steady_clock;

milliseconds remaining(clock::time_point deadline)
{
    return std::max(0ms, std::chrono::duration_cast<milliseconds>(deadline - clock::now()));
}

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// Parses "HTTP/1.1 200 OK\r\nName: value\r\n…" (without the final blank line).
http_response parse_head(std::string_view head)
{
    http_response r;
    auto const line_end = head.find("\r\n");
    auto const status_line = head.substr(0, line_end);
    auto const sp = status_line.find(' ');
    if (sp == std::string_view::npos)
        throw std::runtime_error("bad status line: " + std::string(status_line));
    r.status = std::stoi(std::string(status_line.substr(sp + 1, 3)));
    std::size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
        auto end = head.find("\r\n", pos);
        if (end == std::string_view::npos)
            end = head.size();
        auto const line = head.substr(pos, end - pos);
        auto const colon = line.find(':');
        if (colon != std::string_view::npos) {
            auto value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ')
                value.remove_prefix(1);
            auto name = lower(std::string(line.substr(0, colon)));
            auto& slot = r.headers[name];
            slot = slot.empty() ? std::string(value) : slot + ", " + std::string(value);
        }
        pos = end + 2;
    }
    return r;
}

std::string build_request(std::string_view method, std::string_view target,
                          std::vector<std::pair<std::string, std::string>> const& headers,
                          std::string_view body, bool close)
{
    std::string req;
    req.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    bool has_connection = false;
    for (auto const& [name, value] : headers) {
        req.append(name).append(": ").append(value).append("\r\n");
        has_connection = has_connection || lower(name) == "connection";
    }
    if (close && !has_connection)
        req.append("Connection: close\r\n");
    if (!body.empty() || method == "POST")
        req.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
    req.append("\r\n").append(body);
    return req;
}

// Reads from `conn` into `buf` until it holds a complete response head; returns its length.
std::size_t read_head(tcp_connection& conn, std::string& buf, clock::time_point deadline)
{
    for (;;) {
        if (auto end = buf.find("\r\n\r\n"); end != std::string::npos)
            return end;
        if (conn.read_some(buf, remaining(deadline)) <= 0)
            throw std::runtime_error("no complete response head before the deadline or EOF: " +
                                     buf.substr(0, 200));
    }
}

} // namespace

tcp_connection::tcp_connection(std::uint16_t port, int receive_buffer)
{
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
        throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
    if (receive_buffer > 0)
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        auto const err = errno;
        ::close(fd_);
        fd_ = -1;
        throw std::runtime_error("connect to port " + std::to_string(port) + ": " +
                                 std::strerror(err));
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

tcp_connection::~tcp_connection()
{
    close();
}

tcp_connection::tcp_connection(tcp_connection&& other) noexcept : fd_(other.fd_)
{
    other.fd_ = -1;
}

void tcp_connection::close()
{
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = -1;
}

void tcp_connection::send(std::string_view bytes)
{
    while (!bytes.empty()) {
        auto const n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw std::runtime_error("send: " + std::string(std::strerror(errno)));
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

std::size_t tcp_connection::send_some(std::string_view bytes)
{
    auto const n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    return n < 0 ? 0 : static_cast<std::size_t>(n);
}

long tcp_connection::read_some(std::string& into, milliseconds timeout)
{
    pollfd p{fd_, POLLIN, 0};
    int const ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (ready <= 0)
        return -1;
    char buf[16384];
    auto const n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0)
        return errno == ECONNRESET ? 0 : -1;
    into.append(buf, static_cast<std::size_t>(n));
    return static_cast<long>(n);
}

bool tcp_connection::closed_within(milliseconds timeout)
{
    auto const deadline = clock::now() + timeout;
    std::string sink;
    for (;;) {
        sink.clear();
        auto const n = read_some(sink, remaining(deadline));
        if (n == 0)
            return true;
        if (n < 0)
            return false;
    }
}

std::string http_response::header(std::string const& name) const
{
    auto it = headers.find(lower(name));
    return it == headers.end() ? std::string{} : it->second;
}

http_response http_request(std::uint16_t port, std::string_view method, std::string_view target,
                           std::vector<std::pair<std::string, std::string>> const& headers,
                           std::string_view body, milliseconds timeout)
{
    auto const deadline = clock::now() + timeout;
    tcp_connection conn{port};
    conn.send(build_request(method, target, headers, body, true));
    std::string buf;
    auto const head_end = read_head(conn, buf, deadline);
    auto r = parse_head(std::string_view(buf).substr(0, head_end));
    std::string rest = buf.substr(head_end + 4);
    auto const length = r.header("content-length");
    if (!length.empty()) {
        auto const want = std::stoul(length);
        while (rest.size() < want && conn.read_some(rest, remaining(deadline)) > 0) {
        }
        r.body = rest.substr(0, want);
    } else {
        while (conn.read_some(rest, remaining(deadline)) > 0) {
        }
        r.body = rest;
    }
    return r;
}

http_response post_notify(std::uint16_t port, std::string_view json,
                          std::vector<std::pair<std::string, std::string>> headers)
{
    headers.emplace_back("Content-Type", "application/json");
    return http_request(port, "POST", "/notify", headers, json);
}

std::optional<double> metric_value(std::uint16_t port, std::string const& series)
{
    auto const body = http_request(port, "GET", "/metrics").body;
    auto const at = body.find("\n" + series + " ");
    if (at == std::string::npos)
        return std::nullopt;
    return std::stod(body.substr(at + series.size() + 2));
}

namespace {

bool metric_until(std::uint16_t port, std::string const& series, milliseconds timeout,
                  std::function<bool(double)> const& good)
{
    auto const deadline = clock::now() + timeout;
    for (;;) {
        if (auto const value = metric_value(port, series); value && good(*value))
            return true;
        if (clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(20ms); // pace the polling
    }
}

} // namespace

bool metric_reaches(std::uint16_t port, std::string const& series, double at_least,
                    milliseconds timeout)
{
    return metric_until(port, series, timeout, [&](double v) { return v >= at_least; });
}

bool metric_becomes(std::uint16_t port, std::string const& series, double value,
                    milliseconds timeout)
{
    return metric_until(port, series, timeout, [&](double v) { return v == value; });
}

bool readyz_becomes(std::uint16_t port, int status, milliseconds timeout)
{
    auto const deadline = clock::now() + timeout;
    while (clock::now() < deadline) {
        if (http_request(port, "GET", "/readyz").status == status)
            return true;
        std::this_thread::sleep_for(50ms); // pace the polling
    }
    return false;
}

tcp_connection open_stalled_stream(std::uint16_t clients_port, std::string const& cookie)
{
    tcp_connection c{clients_port, 4096};
    c.send("GET /events?events=orders HTTP/1.1\r\nHost: x\r\nCookie: " + cookie + "\r\n\r\n");
    std::string greeting;
    auto const deadline = clock::now() + 10s;
    while (greeting.find("event: connected") == std::string::npos)
        if (c.read_some(greeting, remaining(deadline)) <= 0)
            throw std::runtime_error("no greeting on the stalled stream: " + greeting);
    return c;
}

std::string padded_batch(int items, std::size_t padding)
{
    std::string const item = R"({"name":"orders","type":"t","id":1,"pad":")" +
                             std::string(padding, 'p') + R"("})";
    std::string batch = "[" + item;
    for (int i = 1; i < items; ++i)
        batch += "," + item;
    return batch + "]";
}

bool post_until_backlog(std::uint16_t notify_port, std::int64_t bytes)
{
    auto const batch = padded_batch(100, 2000);
    for (int i = 0; i < 1000; ++i) {
        if (metric_reaches(notify_port, "sse_server_queued_bytes", static_cast<double>(bytes), 0ms))
            return true;
        if (post_notify(notify_port, batch).status != 202)
            return false;
    }
    return false;
}

sse_stream::sse_stream(std::uint16_t port, std::string_view target,
                       std::vector<std::pair<std::string, std::string>> const& headers,
                       milliseconds timeout)
    : conn_(port)
{
    auto all = headers;
    all.emplace_back("Accept", "text/event-stream");
    conn_.send(build_request("GET", target, all, {}, false));
    auto const deadline = clock::now() + timeout;
    auto const head_end = read_head(conn_, raw_, deadline);
    response_ = parse_head(std::string_view(raw_).substr(0, head_end));
    raw_.erase(0, head_end + 4);
    chunked_ = lower(response_.header("transfer-encoding")) == "chunked";
    if (response_.status != 200) {
        // A refusal: its body is short and the server closes after it.
        auto const length = response_.header("content-length");
        auto const want = length.empty() ? std::string::npos : std::stoul(length);
        while (raw_.size() < want && conn_.read_some(raw_, remaining(deadline)) > 0) {
        }
        response_.body = raw_.substr(0, want);
        raw_.clear();
        return;
    }
    // Events may have arrived in the same read as the head.
    if (!decode_chunks())
        throw std::runtime_error("malformed chunked encoding");
}

bool sse_stream::decode_chunks()
{
    if (!chunked_) {
        text_ += raw_;
        raw_.clear();
        return true;
    }
    while (!last_chunk_) {
        auto const line_end = raw_.find("\r\n");
        if (line_end == std::string::npos)
            return true;
        std::size_t const size = std::stoul(raw_.substr(0, line_end), nullptr, 16);
        if (size == 0) {
            if (raw_.size() < line_end + 4)
                return true;
            if (raw_.compare(line_end + 2, 2, "\r\n") != 0)
                return false;
            raw_.erase(0, line_end + 4);
            last_chunk_ = true;
            return true;
        }
        if (raw_.size() < line_end + 2 + size + 2)
            return true;
        if (raw_.compare(line_end + 2 + size, 2, "\r\n") != 0)
            return false;
        text_.append(raw_, line_end + 2, size);
        raw_.erase(0, line_end + 2 + size + 2);
    }
    return true;
}

bool sse_stream::fill(clock::time_point deadline)
{
    if (eof_)
        return false;
    auto const n = conn_.read_some(raw_, remaining(deadline));
    if (n == 0)
        eof_ = true;
    if (n <= 0)
        return false;
    if (!decode_chunks())
        throw std::runtime_error("malformed chunked encoding");
    return true;
}

std::optional<sse_event> sse_stream::parse_event()
{
    // WHATWG "interpret an event stream", one line at a time.
    for (;;) {
        auto const eol = text_.find_first_of("\r\n");
        if (eol == std::string::npos)
            return std::nullopt;
        std::string line = text_.substr(0, eol);
        std::size_t skip = 1;
        if (text_[eol] == '\r') {
            if (eol + 1 >= text_.size())
                return std::nullopt; // a CR may be followed by an LF still on the wire
            if (text_[eol + 1] == '\n')
                skip = 2;
        }
        text_.erase(0, eol + skip);

        if (line.empty()) {
            if (data_buffer_.empty()) {
                pending_ = sse_event{};
                continue;
            }
            if (data_buffer_.back() == '\n')
                data_buffer_.pop_back();
            pending_.data = std::move(data_buffer_);
            pending_.id = last_id_;
            data_buffer_.clear();
            auto out = std::move(pending_);
            pending_ = sse_event{};
            return out;
        }
        if (line.front() == ':') {
            ++comments_;
            comment_times_.push_back(clock::now());
            continue;
        }
        auto const colon = line.find(':');
        std::string field = line.substr(0, colon);
        std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ')
            value.erase(0, 1);
        if (field == "data")
            data_buffer_ += value + "\n";
        else if (field == "event")
            pending_.event = value;
        else if (field == "id" && value.find('\0') == std::string::npos)
            last_id_ = value;
        else if (field == "retry" && !value.empty() &&
                 std::all_of(value.begin(), value.end(), ::isdigit))
            retry_ = std::stol(value);
    }
}

std::optional<sse_event> sse_stream::next_event(milliseconds timeout)
{
    auto const deadline = clock::now() + timeout;
    for (;;) {
        if (auto e = parse_event())
            return e;
        if (last_chunk_ || !fill(deadline))
            return std::nullopt;
    }
}

bool sse_stream::await_comments(std::size_t count, milliseconds timeout)
{
    auto const deadline = clock::now() + timeout;
    while (comments_ < count) {
        if (parse_event())
            return false; // an event, where only heartbeats were expected
        if (comments_ >= count)
            break;
        if (last_chunk_ || !fill(deadline))
            return false;
    }
    return true;
}

bool sse_stream::await_last_event_id(std::string const& id, milliseconds timeout)
{
    auto const deadline = clock::now() + timeout;
    while (last_id_ != id) {
        if (parse_event())
            return false; // an event, where only heartbeats were expected
        if (last_id_ == id)
            break;
        if (last_chunk_ || !fill(deadline))
            return false;
    }
    return true;
}

std::optional<sse_event> sse_stream::next_event_named(std::string_view event, milliseconds timeout)
{
    auto const deadline = clock::now() + timeout;
    while (auto e = next_event(remaining(deadline)))
        if (e->event == event)
            return e;
    return std::nullopt;
}

bool sse_stream::ends_cleanly(milliseconds timeout)
{
    auto const deadline = clock::now() + timeout;
    while (!last_chunk_ && fill(deadline)) {
    }
    if (!last_chunk_ && chunked_)
        return false;
    // After the last chunk, the server closes its side.
    while (!eof_) {
        auto const n = conn_.read_some(raw_, remaining(deadline));
        if (n == 0)
            eof_ = true;
        else if (n < 0)
            return false;
    }
    return raw_.empty();
}

bool sse_stream::closed_within(milliseconds timeout)
{
    return eof_ || conn_.closed_within(timeout);
}

} // namespace sse_server::test
