#pragma once

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>

namespace sse_server {

/** What a byte is inside a JSON string literal. */
enum class json_string_byte : std::uint8_t
{
    plain,   // printable ASCII: as is
    escaped, // `"`, `\` and control characters: escaped only
    utf8     // part of a multi-byte UTF-8 sequence
};

inline constexpr auto json_string_bytes = [] {
    std::array<json_string_byte, 256> table{};
    for (unsigned c = 0; c < 256; ++c) {
        table[c] = c >= 0x80                           ? json_string_byte::utf8
                   : c < 0x20 || c == '"' || c == '\\' ? json_string_byte::escaped
                                                       : json_string_byte::plain;
    }
    return table;
}();

/** Appends `text` as a JSON string literal: `"`, `\` and control characters escaped, every
    other byte as is (the caller passes valid UTF-8, which stays valid). */
inline void append_json_string(std::string& out, std::string_view text)
{
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    std::size_t run = 0; // start of the bytes not copied yet
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto const c = static_cast<unsigned char>(text[i]);
        if (json_string_bytes[c] != json_string_byte::escaped)
            continue;
        out.append(text, run, i - run);
        run = i + 1;
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default: out += {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
        }
    }
    out.append(text, run);
    out += '"';
}

/** Reads one JSON text (RFC 8259) in a single pass and reports it to a handler as
    nlohmann's SAX events do (strings as `std::string_view`, valid for the call only).

    A fast path, not a complete parser: on anything it does not read itself (any invalid
    text, nesting deeper than 64 levels, a byte order mark, a number whose double would be out
    of range, a handler returning false) it stops and returns false, having reported some
    prefix of the events. The caller then starts over with nlohmann's parser, which accepts
    whatever this accepts and explains a refusal. It exists because that parser's lexer costs
    about a hundred instructions per byte, and a notification is parsed once per POST. */
template <typename Handler>
class json_scanner
{
public:
    json_scanner(std::string_view text, Handler& handler, std::string& scratch)
        : p_(text.data()), end_(text.data() + text.size()), handler_(handler), scratch_(scratch)
    {
    }

    bool run()
    {
        enum class expect { value, key, more };
        constexpr auto unknown_size = static_cast<std::size_t>(-1);
        std::uint64_t arrays = 0; // bit n set: the container n levels deep is an array
        std::size_t depth = 0;
        expect next = expect::value;
        for (;;) {
            skip_whitespace();
            if (next == expect::more) {
                if (depth == 0)
                    return p_ == end_; // nothing may follow the value
                if (p_ == end_)
                    return false;
                bool const array = (arrays >> (depth - 1)) & 1u;
                char const c = *p_++;
                if (c == ',') {
                    next = array ? expect::value : expect::key;
                    continue;
                }
                if (c != (array ? ']' : '}'))
                    return false;
                --depth;
                if (!(array ? handler_.end_array() : handler_.end_object()))
                    return false;
                continue;
            }
            if (p_ == end_)
                return false;
            if (next == expect::key) {
                if (*p_ != '"' || !string(true))
                    return false;
                skip_whitespace();
                if (p_ == end_ || *p_++ != ':')
                    return false;
                next = expect::value;
                continue;
            }
            bool ok = true;
            switch (*p_) {
            case '{':
            case '[': {
                bool const array = *p_++ == '[';
                if (depth == max_depth ||
                    !(array ? handler_.start_array(unknown_size)
                            : handler_.start_object(unknown_size)))
                    return false;
                arrays = array ? arrays | (std::uint64_t{1} << depth)
                               : arrays & ~(std::uint64_t{1} << depth);
                ++depth;
                skip_whitespace();
                if (p_ != end_ && *p_ == (array ? ']' : '}')) {
                    ++p_;
                    --depth;
                    ok = array ? handler_.end_array() : handler_.end_object();
                } else {
                    next = array ? expect::value : expect::key;
                    continue;
                }
                break;
            }
            case '"': ok = string(false); break;
            case 't': ok = literal("true") && handler_.boolean(true); break;
            case 'f': ok = literal("false") && handler_.boolean(false); break;
            case 'n': ok = literal("null") && handler_.null(); break;
            default: ok = number();
            }
            if (!ok)
                return false;
            next = expect::more;
        }
    }

private:
    static constexpr std::size_t max_depth = 64; // one bit each in `arrays`

    char const* p_;
    char const* const end_;
    Handler& handler_;
    std::string& scratch_; // decoded text of a string with escapes

    static bool is_digit(char c) { return c >= '0' && c <= '9'; }

    void skip_whitespace()
    {
        while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t'))
            ++p_;
    }

    bool literal(std::string_view word)
    {
        if (static_cast<std::size_t>(end_ - p_) < word.size() ||
            std::string_view(p_, word.size()) != word)
            return false;
        p_ += word.size();
        return true;
    }

    // At the opening quote. A string without escapes is reported as a view of the text.
    bool string(bool is_key)
    {
        char const* const start = ++p_;
        bool decoded = false;
        for (;;) {
            char const* const run = p_;
            while (p_ != end_ &&
                   json_string_bytes[static_cast<unsigned char>(*p_)] == json_string_byte::plain)
                ++p_;
            if (decoded)
                scratch_.append(run, p_);
            if (p_ == end_)
                return false;
            auto const c = static_cast<unsigned char>(*p_);
            if (c == '"')
                break;
            if (c == '\\') {
                if (!decoded)
                    scratch_.assign(start, p_);
                decoded = true;
                if (!escape())
                    return false;
            } else {
                char const* const sequence = p_;
                if (c < 0x20 || !utf8_sequence())
                    return false;
                if (decoded)
                    scratch_.append(sequence, p_);
            }
        }
        std::string_view const text =
            decoded ? std::string_view(scratch_) : std::string_view(start, p_ - start);
        ++p_;
        return is_key ? handler_.key(text) : handler_.string(text);
    }

    // RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
    bool utf8_sequence()
    {
        auto const byte = [this](std::size_t i) { return static_cast<unsigned char>(p_[i]); };
        unsigned const lead = byte(0);
        std::size_t length = 4;
        unsigned low = 0x80;
        unsigned high = 0xBF; // bounds of the second byte
        if (lead >= 0xC2 && lead <= 0xDF) {
            length = 2;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
            low = lead == 0xE0 ? 0xA0 : low;
            high = lead == 0xED ? 0x9F : high;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            low = lead == 0xF0 ? 0x90 : low;
            high = lead == 0xF4 ? 0x8F : high;
        } else {
            return false;
        }
        if (static_cast<std::size_t>(end_ - p_) < length || byte(1) < low || byte(1) > high)
            return false;
        for (std::size_t i = 2; i < length; ++i) {
            if (byte(i) < 0x80 || byte(i) > 0xBF)
                return false;
        }
        p_ += length;
        return true;
    }

    // At the backslash: appends what the escape stands for to scratch_.
    bool escape()
    {
        if (end_ - p_ < 2)
            return false;
        char const c = p_[1];
        p_ += 2;
        switch (c) {
        case '"': scratch_ += '"'; return true;
        case '\\': scratch_ += '\\'; return true;
        case '/': scratch_ += '/'; return true;
        case 'b': scratch_ += '\b'; return true;
        case 'f': scratch_ += '\f'; return true;
        case 'n': scratch_ += '\n'; return true;
        case 'r': scratch_ += '\r'; return true;
        case 't': scratch_ += '\t'; return true;
        case 'u': return unicode_escape();
        default: return false;
        }
    }

    bool hex4(std::uint32_t& value)
    {
        if (end_ - p_ < 4)
            return false;
        value = 0;
        for (int i = 0; i < 4; ++i) {
            char const c = *p_++;
            unsigned const digit = is_digit(c)              ? c - '0'
                                   : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                                   : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                                            : 16;
            if (digit == 16)
                return false;
            value = value * 16 + digit;
        }
        return true;
    }

    // After `\u`. A surrogate is only valid as a high one followed by `\u` and a low one.
    bool unicode_escape()
    {
        std::uint32_t code = 0;
        if (!hex4(code) || (code >= 0xDC00 && code <= 0xDFFF))
            return false;
        if (code >= 0xD800 && code <= 0xDBFF) {
            std::uint32_t low = 0;
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u')
                return false;
            p_ += 2;
            if (!hex4(low) || low < 0xDC00 || low > 0xDFFF)
                return false;
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        }
        auto const put = [this](std::uint32_t byte) { scratch_ += static_cast<char>(byte); };
        if (code < 0x80) {
            put(code);
        } else if (code < 0x800) {
            put(0xC0 | (code >> 6));
            put(0x80 | (code & 0x3F));
        } else if (code < 0x10000) {
            put(0xE0 | (code >> 12));
            put(0x80 | ((code >> 6) & 0x3F));
            put(0x80 | (code & 0x3F));
        } else {
            put(0xF0 | (code >> 18));
            put(0x80 | ((code >> 12) & 0x3F));
            put(0x80 | ((code >> 6) & 0x3F));
            put(0x80 | (code & 0x3F));
        }
        return true;
    }

    // Integers that fit 64 bits are reported as integers, the rest as doubles with their text,
    // which is what nlohmann does.
    bool number()
    {
        char const* const start = p_;
        bool const negative = *p_ == '-';
        if (negative)
            ++p_;
        if (p_ == end_ || !is_digit(*p_))
            return false;
        std::uint64_t magnitude = 0;
        bool fits = true;
        if (*p_ == '0') {
            ++p_;
        } else {
            for (; p_ != end_ && is_digit(*p_); ++p_) {
                unsigned const digit = *p_ - '0';
                fits =
                    fits && magnitude <= (std::numeric_limits<std::uint64_t>::max() - digit) / 10;
                magnitude = magnitude * 10 + digit;
            }
        }
        bool integral = true;
        if (p_ != end_ && *p_ == '.') {
            integral = false;
            if (++p_ == end_ || !is_digit(*p_))
                return false;
            while (p_ != end_ && is_digit(*p_))
                ++p_;
        }
        if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
            integral = false;
            if (++p_ != end_ && (*p_ == '+' || *p_ == '-'))
                ++p_;
            if (p_ == end_ || !is_digit(*p_))
                return false;
            while (p_ != end_ && is_digit(*p_))
                ++p_;
        }
        constexpr std::uint64_t min_magnitude = std::uint64_t{1} << 63; // of INT64_MIN
        if (integral && fits && !negative)
            return handler_.number_unsigned(magnitude);
        if (integral && fits && magnitude <= min_magnitude) {
            return handler_.number_integer(magnitude == min_magnitude
                                               ? std::numeric_limits<std::int64_t>::min()
                                               : -static_cast<std::int64_t>(magnitude));
        }
        double value = 0;
        auto const [end, error] = std::from_chars(start, p_, value);
        // Out of range either way (overflow is an error, underflow is not): the full parser
        // decides.
        if (error != std::errc() || end != p_)
            return false;
        return handler_.number_float(value, std::string_view(start, p_ - start));
    }
};

/** Runs a json_scanner over `text`; see there for what false means. */
template <typename Handler>
bool scan_json(std::string_view text, Handler& handler, std::string& scratch)
{
    return json_scanner<Handler>(text, handler, scratch).run();
}

} // namespace sse_server
