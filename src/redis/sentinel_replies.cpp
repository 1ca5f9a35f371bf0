#include "sse_server/redis/sentinel_replies.hpp"

#include <charconv>
#include <vector>

namespace sse_server {

namespace {

using kind = redis_reply::kind;

std::optional<std::uint16_t> port_in(std::string_view text)
{
    unsigned value = 0;
    auto const* end = text.data() + text.size();
    auto const [at, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{} || at != end || value == 0 || value > 65535)
        return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

/** A host as a sentinel announces one: not empty, no space or control character. */
bool is_host(std::string_view text)
{
    if (text.empty())
        return false;
    for (char const c : text)
        if (c <= ' ' || c == '\x7f')
            return false;
    return true;
}

} // namespace

master_answer read_master_answer(redis_reply const& reply)
{
    master_answer answer;
    switch (reply.type) {
    case kind::nil:
        answer.type = master_answer::kind::unknown;
        return answer;
    case kind::error:
    case kind::unavailable:
        answer.error = reply.text;
        return answer;
    case kind::array:
        // Redis 7 answers a nil array for an unknown name; hiredis reads it as nil, an empty
        // array is the same answer from a proxy that flattens it.
        if (reply.elements.empty()) {
            answer.type = master_answer::kind::unknown;
            return answer;
        }
        if (reply.elements.size() == 2 && reply.elements[0].type == kind::value &&
            reply.elements[1].type == kind::value && is_host(reply.elements[0].text)) {
            if (auto const port = port_in(reply.elements[1].text)) {
                answer.type = master_answer::kind::address;
                answer.master = {reply.elements[0].text, *port};
                return answer;
            }
        }
        break;
    case kind::value:
        break;
    }
    answer.error = "an answer that is not an address";
    return answer;
}

std::optional<master_switch> read_master_switch(std::string_view payload)
{
    std::vector<std::string_view> words;
    while (!payload.empty()) {
        auto const space = payload.find(' ');
        words.push_back(payload.substr(0, space));
        if (space == std::string_view::npos)
            break;
        payload.remove_prefix(space + 1);
    }
    if (words.size() != 5 || words[0].empty() || !is_host(words[1]) || !is_host(words[3]))
        return std::nullopt;
    auto const from_port = port_in(words[2]);
    auto const to_port = port_in(words[4]);
    if (!from_port || !to_port)
        return std::nullopt;
    return master_switch{std::string(words[0]),
                         {std::string(words[1]), *from_port},
                         {std::string(words[3]), *to_port}};
}

bool role_says_replica(redis_reply const& reply)
{
    return reply.type == kind::array &&
           (reply.elements.empty() || reply.elements.front().text != "master");
}

std::string address_text(host_port const& address)
{
    auto const host =
        address.host.find(':') == std::string::npos ? address.host : "[" + address.host + "]";
    return host + ":" + std::to_string(address.port);
}

} // namespace sse_server
