#include "sse_server/notification.hpp"

#include "sse_server/json_text.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sse_server {

namespace {

using json = nlohmann::json;

constexpr std::size_t max_depth = 64;
constexpr std::size_t max_event_name_length = 128;
constexpr std::size_t max_parser_message_length = 160;
constexpr std::size_t typical_body_size = 256; // of a batch item, allocated at once

/** A JSON value's type, as far as validation cares. */
enum class value_kind : std::uint8_t
{
    absent,
    null,
    boolean,
    number,
    string,
    object,
    array
};

/** The members of a notification that are checked; any other key is carried along as is. */
enum class field : std::uint8_t
{
    other,
    name,
    type,
    id,
    origin
};

field field_named(std::string_view key)
{
    if (key == "name")
        return field::name;
    if (key == "type")
        return field::type;
    if (key == "id")
        return field::id;
    if (key == "origin")
        return field::origin;
    return field::other;
}

/** Why an item was refused: the member and what is wrong with it. */
struct member_error
{
    char const* where;
    char const* what;
};

// The library's text starts with an internal tag and may quote the offending token at length
// ("; last read: '…'"): the API author needs the reason and the offset only.
std::string shorten_parser_message(std::string_view what)
{
    if (!what.empty() && what.front() == '[') {
        if (auto const end = what.find("] "); end != std::string_view::npos)
            what.remove_prefix(end + 2);
    }
    if (what.starts_with("parse error")) {
        if (auto const colon = what.find(": "); colon != std::string_view::npos)
            what.remove_prefix(colon + 2);
    }
    what = what.substr(0, what.find("; last read"));
    return std::string(what.substr(0, max_parser_message_length));
}

/** Validates a POST /notify body from the events of one pass over it, building no document;
    one reader per pass.

    A document would cost more than the text is worth (allocations per value), and its object
    type decides duplicate keys: an insertion-ordered map searches its keys linearly, which
    makes an object of many keys quadratic. Here each event costs O(1) plus its size. Events
    come from json_scanner, or from nlohmann's parser when the scanner gives up; both are
    iterative, so nesting costs no stack, and the depth limit applies as brackets open. */
class notification_reader
{
public:
    using number_integer_t = json::number_integer_t;
    using number_unsigned_t = json::number_unsigned_t;
    using number_float_t = json::number_float_t;
    using binary_t = json::binary_t;

    bool too_deep() const { return too_deep_; }
    std::string const& syntax_error() const { return syntax_error_; }

    /** What a body that parsed as JSON amounts to. */
    notification_batch result(std::string_view body) &&
    {
        if (root_ != value_kind::object && root_ != value_kind::array)
            return {{}, "body: must be a notification object or an array of them"};
        if (item_error_)
            return {{}, std::move(item_error_)};
        // The API's own text goes out untouched: no re-serialisation can alter numbers or
        // escapes the application relies on.
        if (root_ == value_kind::object)
            items_.front().body = std::string(body);
        return {std::move(items_), std::nullopt};
    }

    bool null() { return scalar(value_kind::null, "null"); }
    bool boolean(bool value) { return scalar(value_kind::boolean, value ? "true" : "false"); }
    bool number_integer(number_integer_t value) { return integer(value); }
    bool number_unsigned(number_unsigned_t value) { return integer(value); }

    bool number_float(number_float_t, std::string_view text)
    {
        // The number as written: "1.50" stays "1.50". nlohmann's lexer writes the locale's
        // decimal point into it, not '.' if someone called setlocale(LC_NUMERIC): put '.' back.
        if (text.find_first_not_of("0123456789+-eE.") == std::string_view::npos)
            return scalar(value_kind::number, text);
        std::string written(text);
        for (char& c : written) {
            if ((c < '0' || c > '9') && c != '+' && c != '-' && c != 'e' && c != 'E')
                c = '.';
        }
        return scalar(value_kind::number, written);
    }

    bool string(std::string_view value)
    {
        on_value(value_kind::string, value);
        if (writing_) {
            separate();
            append_json_string(body_, value);
        }
        return true;
    }

    bool binary(binary_t&) { return true; } // JSON text has no binary values

    bool start_object(std::size_t) { return open(value_kind::object, '{'); }
    bool start_array(std::size_t) { return open(value_kind::array, '['); }
    bool end_object() { return close('}'); }
    bool end_array() { return close(']'); }

    bool key(std::string_view key)
    {
        if (in_item_ && depth_ == field_depth_)
            current_ = field_named(key);
        if (writing_) {
            separate();
            append_json_string(body_, key);
            body_ += ':';
            need_comma_ = false;
        }
        return true;
    }

    bool parse_error(std::size_t position, std::string const&,
                     nlohmann::detail::exception const& ex)
    {
        syntax_error_ = shorten_parser_message(ex.what()) + " at byte " + std::to_string(position);
        return false;
    }

private:
    std::size_t depth_ = 0; // containers open
    value_kind root_ = value_kind::absent;
    std::size_t field_depth_ = 1; // depth of an item's members: 1 for one object, 2 in a batch
    std::size_t entries_ = 0;     // batch entries begun
    bool in_item_ = false;        // inside an object being validated
    field current_ = field::other;

    // The last occurrence of each checked member of the current item, as JSON.parse keeps it.
    value_kind name_kind_ = value_kind::absent;
    value_kind type_kind_ = value_kind::absent;
    value_kind id_kind_ = value_kind::absent;
    value_kind origin_kind_ = value_kind::absent;
    bool type_empty_ = false;
    std::string name_;
    std::string id_;

    // The compact text of the current batch item, written as its events arrive.
    bool writing_ = false;
    bool need_comma_ = false;
    std::string body_;

    std::vector<notification> items_;
    std::optional<std::string> item_error_;
    std::string syntax_error_;
    bool too_deep_ = false;

    template <typename Integer>
    bool integer(Integer value)
    {
        char buffer[24];
        auto const end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
        return scalar(value_kind::number, std::string_view(buffer, end));
    }

    bool scalar(value_kind kind, std::string_view text)
    {
        on_value(kind, text);
        if (writing_) {
            separate();
            body_ += text;
        }
        return true;
    }

    bool open(value_kind kind, char bracket)
    {
        if (depth_ == max_depth) {
            too_deep_ = true;
            return false;
        }
        on_value(kind, {});
        ++depth_;
        if (writing_) {
            separate();
            body_ += bracket;
            need_comma_ = false;
        }
        return true;
    }

    bool close(char bracket)
    {
        --depth_;
        if (writing_) {
            body_ += bracket;
            need_comma_ = true;
        }
        if (in_item_ && depth_ + 1 == field_depth_)
            finish_item();
        return true;
    }

    void separate()
    {
        if (need_comma_)
            body_ += ',';
        need_comma_ = true;
    }

    // Every value passes here first: the root, a batch entry, an item's member, or deeper.
    void on_value(value_kind kind, std::string_view text)
    {
        if (depth_ == 0) {
            root_ = kind;
            field_depth_ = kind == value_kind::array ? 2 : 1;
            if (kind == value_kind::object)
                begin_item();
        } else if (depth_ == 1 && root_ == value_kind::array) {
            ++entries_;
            if (kind == value_kind::object)
                begin_item();
            else
                refuse_item({"", "must be an object"});
        } else if (in_item_ && depth_ == field_depth_) {
            record_member(kind, text);
        }
    }

    void record_member(value_kind kind, std::string_view text)
    {
        switch (current_) {
        case field::name:
            name_kind_ = kind;
            name_.assign(text);
            break;
        case field::type:
            type_kind_ = kind;
            type_empty_ = text.empty();
            break;
        case field::id:
            id_kind_ = kind;
            id_.assign(text);
            break;
        case field::origin: origin_kind_ = kind; break;
        case field::other: break;
        }
    }

    void begin_item()
    {
        if (item_error_)
            return; // the body is refused already; only the syntax is still checked
        in_item_ = true;
        current_ = field::other;
        name_kind_ = type_kind_ = id_kind_ = origin_kind_ = value_kind::absent;
        writing_ = root_ == value_kind::array;
        need_comma_ = false;
        body_.clear();
        body_.reserve(typical_body_size);
    }

    void finish_item()
    {
        in_item_ = false;
        writing_ = false;
        if (auto const error = check_item())
            return refuse_item(*error);
        items_.push_back(notification{std::move(name_), std::move(id_), std::move(body_)});
    }

    std::optional<member_error> check_item() const
    {
        if (name_kind_ == value_kind::absent)
            return member_error{"name", "missing"};
        if (name_kind_ != value_kind::string)
            return member_error{"name", "must be a string"};
        if (!is_valid_event_name(name_))
            return member_error{"name", "must match [A-Za-z0-9_.:-]{1,128}"};
        if (type_kind_ == value_kind::absent)
            return member_error{"type", "missing"};
        if (type_kind_ != value_kind::string)
            return member_error{"type", "must be a string"};
        if (type_empty_)
            return member_error{"type", "must not be empty"};
        if (id_kind_ == value_kind::absent)
            return member_error{"id", "missing"};
        if (id_kind_ != value_kind::string && id_kind_ != value_kind::number)
            return member_error{"id", "must be a number or a string"};
        if (id_.empty())
            return member_error{"id", "must not be empty"};
        if (origin_kind_ != value_kind::absent && origin_kind_ != value_kind::null &&
            origin_kind_ != value_kind::string)
            return member_error{"origin", "must be a string or null"};
        return std::nullopt;
    }

    // Only the first bad item is reported; the items before it are dropped with it.
    void refuse_item(member_error error)
    {
        if (item_error_)
            return;
        std::string message;
        if (root_ == value_kind::array)
            message = '[' + std::to_string(entries_ - 1) + ']' + (*error.where ? "." : "");
        message += error.where;
        message += ": ";
        message += error.what;
        item_error_ = std::move(message);
        items_.clear();
        writing_ = false;
    }
};

// Whether brackets outside strings open more than `max_depth` levels anywhere in the text,
// even in a text the parser gave up on before reaching them (`{{{{…`).
bool nested_too_deep(std::string_view text)
{
    std::size_t depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char const c = text[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth)
                return true;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return false;
}

} // namespace

bool is_valid_event_name(std::string_view name)
{
    if (name.empty() || name.size() > max_event_name_length)
        return false;
    for (char const c : name) {
        bool const ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

notification_batch parse_notifications(std::string_view body)
{
    std::string scratch;
    if (notification_reader reader; scan_json(body, reader, scratch))
        return std::move(reader).result(body);

    // Invalid, or a shape the scanner leaves alone: start over with nlohmann's parser, so that
    // what is accepted, and what a refusal says, is that parser's (RFC 8259, well-formed
    // UTF-8, nothing after the value). A syntax error anywhere wins over an item error.
    notification_reader reader;
    bool const parsed = json::sax_parse(body.data(), body.data() + body.size(), &reader);
    // Too deep is the first thing said of an over-nested text, valid up to there or not.
    if (reader.too_deep() || (!parsed && nested_too_deep(body)))
        return {{}, "JSON nested deeper than 64 levels"};
    if (!parsed) {
        auto const& reason = reader.syntax_error();
        return {{}, "invalid JSON: " + (reason.empty() ? std::string("unreadable body") : reason)};
    }
    // That parser takes a NUL byte for the end of the text, so `{…}\0<anything>` passes it; a
    // NUL is nowhere valid in JSON, and what follows it would be forwarded.
    if (auto const nul = body.find('\0'); nul != std::string_view::npos)
        return {{},
                "invalid JSON: syntax error while parsing value - unexpected NUL byte at byte " +
                    std::to_string(nul + 1)};
    return std::move(reader).result(body);
}

} // namespace sse_server
