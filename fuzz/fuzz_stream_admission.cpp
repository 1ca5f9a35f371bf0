// Raw bytes on the clients port, up to the Redis lookup: request_reader (the header only,
// 8 KiB in all) then admit_stream(). Whatever the bytes, the reader holds no more than the
// limit allows, and a request sent for a lookup carries only what may reach Redis.
//
// Input: the bytes a peer sends, fed in pieces whose sizes come from the input's first byte,
// as a slow or fast peer would send them.

#include "require.hpp"
#include "sse_server/config/config.hpp"
#include "sse_server/event/notification.hpp"
#include "sse_server/http/request_reader.hpp"
#include "sse_server/stream/stream_admission.hpp"

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

using namespace sse_server;

config const& fuzz_config()
{
    static config const cfg = [] {
        config c;
        c.auth.session.secrets = {"current", "previous"};
        c.auth.api_key.allow_query = true;
        c.client.cors_origins = {"https://app.example"};
        c.limits.max_subscriptions = 4;
        return c;
    }();
    return cfg;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    if (size == 0)
        return 0;
    std::size_t const piece = 1 + data[0] % 64;
    std::string_view bytes(reinterpret_cast<char const*>(data) + 1, size - 1);

    request_reader<http::empty_body> reader{std::nullopt};
    beast::flat_buffer buffer;
    error_code ec = http::error::need_more;
    while (!bytes.empty() && ec == http::error::need_more) {
        auto const n = std::min({piece, bytes.size(), reader.room(buffer)});
        FUZZ_REQUIRE(n > 0); // room() is never 0 while put() still asks for more
        buffer.commit(net::buffer_copy(buffer.prepare(n), net::buffer(bytes.substr(0, n))));
        bytes.remove_prefix(n);
        ec = reader.put(buffer);
        FUZZ_REQUIRE(buffer.size() <= request_header_limit);
    }
    if (ec)
        return 0;
    FUZZ_REQUIRE(reader.done());

    auto const a = admit_stream(reader.parser().get(), fuzz_config());
    if (a.action != stream_admission::verdict::authenticate) {
        if (a.status == http::status::unauthorized)
            FUZZ_REQUIRE(a.reason == unauthorized_reason);
        return 0;
    }
    FUZZ_REQUIRE(is_valid_credential(a.cred.secret));
    auto const& events = a.target.events;
    FUZZ_REQUIRE(events.size() <= fuzz_config().limits.max_subscriptions);
    for (auto const& name : events) {
        FUZZ_REQUIRE(is_valid_event_name(name));
        FUZZ_REQUIRE(name != fuzz_config().events.account);
    }
    auto const& req = reader.parser().get();
    FUZZ_REQUIRE(req.find(http::field::transfer_encoding) == req.end());
    return 0;
}
