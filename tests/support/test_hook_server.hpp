#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace sse_server::test {

/** An application's auth hook for tests: an HTTP/1.1 server on 127.0.0.1 (keep-alive), run by a
    thread of its own, answering each request as `responder` says. It counts the requests, and
    the most it was answering at once. */
class test_hook_server
{
public:
    /** What the daemon sent: the target and the headers the hook is told. */
    struct request
    {
        std::string target;
        std::string cookie;
        std::string authorization;
        std::string api_key;
        std::string origin;
    };
    struct answer
    {
        int status = 200;
        std::string body;
        bool hang = false;                  // never answered (the daemon's timeout)
        std::chrono::milliseconds delay{0}; // answered this much later (on a timer)
    };
    using responder = std::function<answer(request const&)>;
    /** Files of the certificate (chain) and key an https hook presents. */
    struct tls_identity
    {
        std::string cert_file;
        std::string key_file;
    };

    /** An http:// hook, or with `tls` an https:// one. */
    explicit test_hook_server(responder respond, std::optional<tls_identity> tls = std::nullopt);
    ~test_hook_server();
    test_hook_server(test_hook_server const&) = delete;
    test_hook_server& operator=(test_hook_server const&) = delete;

    std::uint16_t port() const { return port_; }
    /** "http://127.0.0.1:<port>/sse/auth" (https:// with TLS) */
    std::string url() const;

    void set_responder(responder respond);
    /** From now on, answers wait until release() (each is still decided when it arrives). */
    void hold();
    void release();

    std::size_t requests() const;
    /** The most requests that were read and not yet answered at one time. */
    std::size_t max_concurrent() const;
    std::vector<request> seen() const;
    /** Waits until `count` requests have arrived in all. */
    bool await_requests(std::size_t count, std::chrono::milliseconds timeout) const;

    struct state; // what the server's thread shares with the test's

private:
    std::shared_ptr<state> state_;
    std::uint16_t port_ = 0;
    std::thread thread_;
};

/** A loopback port nothing listens on (bound, then closed): connecting to it is refused. */
std::uint16_t refused_port();

} // namespace sse_server::test
