// Bytes from Redis: the hiredis reader the client uses, and what the client reads out of each
// reply. This target reads every reply the way the conversion into sse_server::redis_reply
// (to_redis_reply() in redis_reply.cpp) does (type, then `str` for `len` bytes, or `integer`)
// and checks what it relies on.
//
// Input: one byte choosing how the rest is split into reads (TCP splits replies anywhere),
// then the bytes. The replies must not depend on where the splits fall.

#include "require.hpp"

#include <cstddef>
#include <cstdint>
#include <hiredis/hiredis.h>
#include <memory>
#include <string>
#include <string_view>

namespace {

// hiredis 0.14 allocates an array's element vector as soon as it reads `*<count>`, up to
// 2^31 entries (16 GiB): a peer that is not Redis could claim any count, but the client's
// Redis is trusted and such an allocation fails cleanly outside the fuzzer. Larger arrays are
// refused here, as hiredis refuses them when out of memory, so that the fuzzer looks elsewhere.
constexpr int max_array_elements = 1 << 16;

redisReplyObjectFunctions capped_functions;
void* (*default_create_array)(redisReadTask const*, int) = nullptr;

void* create_capped_array(redisReadTask const* task, int elements)
{
    if (elements > max_array_elements)
        return nullptr;
    return default_create_array(task, elements);
}

struct reader_deleter
{
    void operator()(redisReader* r) const { redisReaderFree(r); }
};
using reader_ptr = std::unique_ptr<redisReader, reader_deleter>;

reader_ptr make_reader()
{
    reader_ptr reader(redisReaderCreate());
    FUZZ_REQUIRE(reader != nullptr);
    if (!default_create_array) {
        capped_functions = *reader->fn;
        default_create_array = capped_functions.createArray;
        capped_functions.createArray = create_capped_array;
    }
    reader->fn = &capped_functions; // still hiredis' own redisReply objects
    return reader;
}

/** Reads `r` as the client does, and appends a canonical form of it to `out`. */
void read_reply(redisReply const& r, int depth, std::string& out)
{
    FUZZ_REQUIRE(depth <= 8); // hiredis nests at most 7 arrays
    out += std::to_string(r.type);
    out += ':';
    switch (r.type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
        // to_redis_reply() builds std::string(r.str, r.len): both must describe readable memory.
        FUZZ_REQUIRE(r.str != nullptr);
        FUZZ_REQUIRE(r.str[r.len] == '\0');
        out += std::to_string(r.len) + ':' + std::string(r.str, r.len);
        break;
    case REDIS_REPLY_INTEGER:
        out += std::to_string(r.integer);
        break;
    case REDIS_REPLY_NIL:
        break;
    case REDIS_REPLY_ARRAY:
        FUZZ_REQUIRE(r.elements <= static_cast<std::size_t>(max_array_elements));
        FUZZ_REQUIRE(r.elements == 0 || r.element != nullptr);
        out += std::to_string(r.elements) + '[';
        for (std::size_t i = 0; i < r.elements; ++i) {
            FUZZ_REQUIRE(r.element[i] != nullptr);
            read_reply(*r.element[i], depth + 1, out);
        }
        out += ']';
        break;
    default:
        FUZZ_REQUIRE(false); // a type the conversion does not know
    }
    out += ';';
}

/** Takes every complete reply out of `reader`; false once the reader has failed. */
bool drain(redisReader& reader, std::string& out)
{
    while (true) {
        void* reply = nullptr;
        if (redisReaderGetReply(&reader, &reply) != REDIS_OK) {
            FUZZ_REQUIRE(reply == nullptr);
            FUZZ_REQUIRE(reader.err != 0);
            return false;
        }
        if (!reply)
            return true;
        read_reply(*static_cast<redisReply*>(reply), 0, out);
        freeReplyObject(reply);
    }
}

/** The replies to `bytes` fed in reads of `chunk` bytes, then the reader's error, if any. */
std::string replies(std::string_view bytes, std::size_t chunk)
{
    auto reader = make_reader();
    std::string out;
    bool ok = true;
    while (ok && !bytes.empty()) {
        auto const piece = bytes.substr(0, chunk);
        bytes.remove_prefix(piece.size());
        ok = redisReaderFeed(reader.get(), piece.data(), piece.size()) == REDIS_OK &&
             drain(*reader, out);
    }
    if (!ok)
        out += std::string("error ") + std::to_string(reader->err) + " " + reader->errstr;
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
