// Bytes from Redis: the client's reply_reader (hiredis's RESP reader building sse_server
// replies directly), fed as reads bring the bytes. Checks what the client relies on: no
// crash, leak or unbounded memory whatever the bytes, nesting as hiredis bounds it, and the
// same replies (and the same verdict) wherever the reads split them.
//
// Input: one byte choosing how the rest is split into reads (TCP splits replies anywhere),
// then the bytes.

#include "require.hpp"
#include "sse_server/redis/reply_reader.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using sse_server::redis_reply;
using sse_server::reply_reader;

/** A canonical form of `r`, appended to `out`. */
void describe(redis_reply const& r, int depth, std::string& out)
{
    FUZZ_REQUIRE(depth <= 8); // hiredis nests at most 7 arrays
    out += std::to_string(static_cast<int>(r.type));
    out += ':';
    switch (r.type) {
    case redis_reply::kind::value:
    case redis_reply::kind::error:
        FUZZ_REQUIRE(r.elements.empty());
        out += std::to_string(r.text.size()) + ':' + r.text;
        break;
    case redis_reply::kind::nil:
        FUZZ_REQUIRE(r.text.empty() && r.elements.empty());
        break;
    case redis_reply::kind::array:
        FUZZ_REQUIRE(r.text.empty());
        out += std::to_string(r.elements.size()) + '[';
        for (auto const& e : r.elements)
            describe(e, depth + 1, out);
        out += ']';
        break;
    case redis_reply::kind::unavailable:
        FUZZ_REQUIRE(false); // the reader never makes one
    }
    out += ';';
}

/** The replies to `bytes` fed in reads of `chunk` bytes, then the reader's error, if any. */
std::string replies(std::string_view bytes, std::size_t chunk)
{
    reply_reader reader;
    FUZZ_REQUIRE(reader.usable());
    std::string out;
    redis_reply reply;
    while (!bytes.empty()) {
        auto const piece = bytes.substr(0, chunk);
        bytes.remove_prefix(piece.size());
        FUZZ_REQUIRE(reader.feed(piece.data(), piece.size()));
        for (;;) {
            auto const got = reader.next(reply);
            if (got == reply_reader::status::error)
                return out + "error " + reader.error();
            if (got == reply_reader::status::more)
                break;
            describe(reply, 0, out);
        }
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    if (size == 0)
        return 0;
    std::size_t const chunk = data[0] % 16 + 1;
    std::string_view const bytes(reinterpret_cast<char const*>(data) + 1, size - 1);
    auto const whole = replies(bytes, bytes.size() + 1);
    FUZZ_REQUIRE(replies(bytes, chunk) == whole);
    return 0;
}
