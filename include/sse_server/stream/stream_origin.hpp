#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>

namespace sse_server {

/** A stream's origin, the id of its window announced in `connected` (SPEC §2.1): kept in 16
    bytes when it is a UUID as the server makes them (lowercase, hyphenated, what the browser
    client sends too), else as the client's text. A million streams each holding its id as a
    string would pay about 80 bytes apiece for it. */
class stream_origin
{
public:
    stream_origin() = default;
    /** Any text the request's `origin=` allowed; str() gives it back unchanged. */
    explicit stream_origin(std::string_view text);
    /** A random UUID v4, the origin of a client that announced none. An origin is an id, not
        a secret: a seeded generator serves, which costs nothing per stream (a random_device
        does). */
    static stream_origin random(std::mt19937_64& random);

    std::string str() const;
    bool operator==(stream_origin const& other) const { return str() == other.str(); }

private:
    std::array<std::uint8_t, 16> uuid_{};
    std::unique_ptr<std::string const> text_; // when it is not a UUID in the form above
};

} // namespace sse_server
