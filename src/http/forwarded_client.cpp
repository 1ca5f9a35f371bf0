#include "sse_server/http/forwarded_client.hpp"

#include "sse_server/base/text_split.hpp"

#include <array>
#include <cstddef>

namespace sse_server {

namespace {

bool is_port(std::string_view digits)
{
    return !digits.empty() && digits.size() <= 5 &&
           digits.find_first_not_of("0123456789") == std::string_view::npos;
}

/** Folds hops, left to right, into the walk from the right that forwarded_client describes:
    `client` is where that walk would end if the list stopped here, empty for "at the peer".
    - a hop that is no address stops a walk from the right before it gets further left: the
      walk ends at the peer (or at a trusted hop added after this one);
    - an untrusted hop ends any walk that reaches it, and a walk from the right reaches it
      whenever everything after it is trusted;
    - a trusted hop lets the walk through to what came before, or ends it if nothing usable
      came before. */
class hop_walk
{
public:
    explicit hop_walk(std::span<ip_network const> trusted) : trusted_(trusted) {}

    void add(std::optional<ip_address> const& hop)
    {
        if (!hop)
            client_.reset();
        else if (!contains_any(trusted_, *hop) || !client_)
            client_ = hop;
    }
    std::optional<ip_address> const& client() const { return client_; }

private:
    std::span<ip_network const> trusted_;
    std::optional<ip_address> client_;
};

/** Splits off the text up to the first `separator` outside a quoted string (with its
    backslash escapes); leaves the rest, after the separator, in `text`. */
std::string_view take_unquoted(std::string_view& text, char separator)
{
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto const c = text[i];
        if (quoted && c == '\\') {
            ++i;
        } else if (c == '"') {
            quoted = !quoted;
        } else if (!quoted && c == separator) {
            auto const head = text.substr(0, i);
            text.remove_prefix(i + 1);
            return head;
        }
    }
    auto const head = text;
    text = {};
    return head;
}

bool is_for(std::string_view name)
{
    return name.size() == 3 && (name[0] | 0x20) == 'f' && (name[1] | 0x20) == 'o' &&
           (name[2] | 0x20) == 'r';
}

/** The `for=` node of one Forwarded element, unquoted; empty when it has none, or one too long
    to be an address. */
std::optional<ip_address> for_node(std::string_view element)
{
    while (!element.empty()) {
        auto const pair = take_unquoted(element, ';');
        auto const equals = pair.find('=');
        if (equals == std::string_view::npos || !is_for(trim(pair.substr(0, equals))))
            continue;
        auto const value = trim(pair.substr(equals + 1));
        if (!value.starts_with('"'))
            return parse_hop(value);
        // A quoted string: "[2001:db8::1]:4711", escapes undone, into a bounded buffer.
        std::array<char, 64> node{};
        std::size_t length = 0;
        for (std::size_t i = 1; i < value.size() && value[i] != '"'; ++i) {
            if (value[i] == '\\')
                ++i;
            if (i >= value.size() || length == node.size())
                return std::nullopt;
            node[length++] = value[i];
        }
        return parse_hop(std::string_view(node.data(), length));
    }
    return std::nullopt;
}

} // namespace

std::optional<ip_address> parse_hop(std::string_view text)
{
    if (text.starts_with('[')) {
        auto const close = text.find(']');
        if (close == std::string_view::npos)
            return std::nullopt;
        auto const rest = text.substr(close + 1);
        if (!rest.empty() && !(rest.starts_with(':') && is_port(rest.substr(1))))
            return std::nullopt;
        auto const address = parse_ip_address(text.substr(1, close - 1));
        if (address && address->is_v4())
            return std::nullopt; // brackets hold IPv6 only
        return address;
    }
    auto const colon = text.find(':');
    if (colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
        // One colon: IPv4 and a port.
        if (!is_port(text.substr(colon + 1)))
            return std::nullopt;
        auto const address = parse_ip_address(text.substr(0, colon));
        if (!address || !address->is_v4())
            return std::nullopt;
        return address;
    }
    return parse_ip_address(text);
}

std::optional<ip_address> forwarded_client(ip_address const& peer, forwarded_headers const& headers,
                                           std::span<ip_network const> trusted)
{
    if (!contains_any(trusted, peer))
        return std::nullopt;
    hop_walk walk{trusted};
    // Empty list elements ("a, , b") are no hops (RFC 9110 §5.6.1).
    if (!headers.x_forwarded_for.empty()) {
        for (auto line : headers.x_forwarded_for)
            while (!line.empty())
                if (auto const hop = trim(take_until(line, ',')); !hop.empty())
                    walk.add(parse_hop(hop));
    } else {
        for (auto line : headers.forwarded)
            while (!line.empty())
                if (auto const element = take_unquoted(line, ','); !trim(element).empty())
                    walk.add(for_node(element));
    }
    return walk.client();
}

} // namespace sse_server
