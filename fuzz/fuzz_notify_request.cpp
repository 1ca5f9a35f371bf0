// Raw bytes on the notification port: request_reader (pipelined requests, a body read only
// once the header allows it, up to notify.max_body_bytes) then notify_handler, which validates
// and publishes into a real registry (behind the in-memory event log) with one subscriber.
// Whatever the bytes, what waits in the buffer stays bounded, every answer is well-formed, and
// a 202 delivered exactly the items it accepted.
//
// Input: the bytes an API client sends on one keep-alive connection, fed in pieces whose
// size comes from the input's first byte.

#include "require.hpp"
#include "sse_server/config/config.hpp"
#include "sse_server/http/request_reader.hpp"
#include "sse_server/log/memory_event_log.hpp"
#include "sse_server/notify/notify_handler.hpp"
#include "sse_server/ops/metrics.hpp"
#include "sse_server/stream/registry.hpp"

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using namespace sse_server;

config const& fuzz_config()
{
    static config const cfg = [] {
        config c;
        c.notify.token = "s3cret";
        c.notify.max_body_bytes = 4096;
        c.replay.capacity = 16;
        return c;
    }();
    return cfg;
}

/** Counts what reaches it; subscribed to "orders" and, through the account rule, user 42. */
class counting_subscriber : public subscriber
{
public:
    std::string const& user_id() const override { return user_; }
    std::vector<std::string> const& events() const override { return events_; }
    name_list const& groups() const override { return groups_; }
    bool send(frame_ptr const& frame) override
    {
        FUZZ_REQUIRE(frame && !frame->empty());
        ++received;
        return true;
    }
    void revalidate(std::function<void()>) override {}
    stream_info info() const override { return {"fuzz", {}, 0, "session"}; }

    std::size_t received = 0;

private:
    std::string user_ = "42";
    std::vector<std::string> events_{"orders"};
    name_list groups_{"acme"};
};

void check_answer(notify_answer const& answer)
{
    std::string out;
    append_answer(out, answer, 11, true);
    FUZZ_REQUIRE(out.starts_with("HTTP/1.1 "));
    FUZZ_REQUIRE(out.find("\r\n\r\n") + 4 + answer.body.size() == out.size());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    if (size == 0)
        return 0;
    std::size_t const piece = 1 + data[0] % 256;
    std::string_view bytes(reinterpret_cast<char const*>(data) + 1, size - 1);

    auto const& cfg = fuzz_config();
    metrics stats;
    registry subscriptions{cfg.events.account};
    memory_event_log log{cfg.replay, [&](event const& e) { return subscriptions.deliver(e); }};
    net::io_context ioc; // never run: what the handler posts is dropped with it
    notify_handler handler{cfg,
                           log,
                           subscriptions,
                           stats,
                           [](auto verdict) { verdict(std::nullopt); },
                           [](auto, auto) {}, // a revalidation checks nothing here
                           ioc};
    counting_subscriber listener;
    subscriptions.subscribe(listener);

    beast::flat_buffer buffer;
    using reader_type = request_reader<http::string_body>;
    std::optional<reader_type> reader;
    bool header_checked = false;
    while (!bytes.empty() || buffer.size() > 0) {
        if (!reader) {
            reader.emplace(cfg.notify.max_body_bytes, reader_type::body_start::when_asked);
            header_checked = false;
        }
        auto const n = std::min(piece, bytes.size());
        buffer.commit(net::buffer_copy(buffer.prepare(n), net::buffer(bytes.substr(0, n))));
        bytes.remove_prefix(n);
        auto ec = reader->put(buffer);
        bool const header_read = !ec || ec == http::error::need_more;
        if (header_read && reader->header_done() && !header_checked) {
            header_checked = true;
            // Decided from the header alone: not a byte of the body is read yet.
            FUZZ_REQUIRE(reader->parser().get().body().empty());
            if (auto refusal = handler.check_header(reader->parser().get(), !reader->done())) {
                FUZZ_REQUIRE(refusal->status != http::status::ok &&
                             refusal->status != http::status::accepted);
                check_answer(*refusal);
                break; // the connection closes, the body unread
            }
            reader->read_body();
            ec = reader->put(buffer);
        }
        // Never more than a header, or a line of a chunked body, plus one read.
        FUZZ_REQUIRE(buffer.size() <= request_header_limit + pending_line_limit + piece);
        if (ec == http::error::need_more) {
            if (bytes.empty())
                break; // the peer stopped mid-request
            continue;
        }
        if (ec)
            break; // 400/413/431, then the connection closes
        auto const before = listener.received;
        std::optional<notify_answer> later;
        auto const now = handler.handle(reader->parser().get(), std::chrono::steady_clock::now(),
                                        false, [&](notify_answer a) { later = std::move(a); });
        // The in-memory log and this readiness check answer at once, one way or the other.
        FUZZ_REQUIRE(now.has_value() != later.has_value());
        auto const& answer = now ? *now : *later;
        check_answer(answer);
        if (answer.status != http::status::accepted)
            FUZZ_REQUIRE(listener.received == before); // a refusal changes nothing
        reader.reset();
    }
    subscriptions.unsubscribe(listener);
    return 0;
}
