#include "payload.hpp"

#include <charconv>

namespace sse_server::bench {

namespace {

std::optional<std::uint64_t> number_after(std::string_view text, std::string_view key)
{
    auto const at = text.find(key);
    if (at == std::string_view::npos)
        return std::nullopt;
    auto const* first = text.data() + at + key.size();
    std::uint64_t value = 0;
    auto const [ptr, ec] = std::from_chars(first, text.data() + text.size(), value);
    if (ec != std::errc{} || ptr == first)
        return std::nullopt;
    return value;
}

} // namespace

std::string event_name(std::size_t index)
{
    return "bench-" + std::to_string(index);
}

void append_notification(std::string& out, stamp s, std::size_t events, std::size_t padding)
{
    out += R"({"name":")";
    out += event_name(static_cast<std::size_t>(s.seq % events));
    out += R"(","type":"bench","id":)";
    out += std::to_string(s.seq);
    out += R"(,"data":{"seq":)";
    out += std::to_string(s.seq);
    out += R"(,"t":)";
    out += std::to_string(s.sent_ns);
    if (padding > 0) {
        out += R"(,"pad":")";
        out.append(padding, 'x');
        out += '"';
    }
    out += "}}";
}

std::optional<stamp> parse_stamp(std::string_view data)
{
    // "seq" and "t" come before the padding, whose bytes cannot look like either key.
    auto const seq = number_after(data, R"("seq":)");
    auto const sent = number_after(data, R"("t":)");
    if (!seq || !sent)
        return std::nullopt;
    return stamp{*seq, *sent};
}

} // namespace sse_server::bench
