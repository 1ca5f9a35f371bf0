#pragma once

#include "sse_server/event/audience.hpp"
#include "sse_server/event/json_text.hpp"
#include "sse_server/event/notification.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sse_server {

/** Validates a POST /notify body from the events of one pass over it, building no document;
    one reader per pass, used by parse_notifications() only.

    A document would cost more than the text is worth (allocations per value), and its object
    type decides duplicate keys: an insertion-ordered map searches its keys linearly, which
    makes an object of many keys quadratic. Here each event costs O(1) plus its size. Events
    come from json_scanner, or from nlohmann's parser when the scanner gives up; both are
    iterative, so nesting costs no stack, and the depth limit applies as brackets open.
    The callbacks run once per JSON token, so they stay inline here; what runs once per item
    or per body is in notification_reader.cpp. */
class notification_reader
{
public:
    using json = nlohmann::json;
    using number_integer_t = json::number_integer_t;
    using number_unsigned_t = json::number_unsigned_t;
    using number_float_t = json::number_float_t;
    using binary_t = json::binary_t;

    static constexpr std::size_t max_depth = 64;

    bool too_deep() const { return too_deep_; }
    std::string const& syntax_error() const { return syntax_error_; }

    /** What a body that parsed as JSON amounts to. */
    notification_batch result(std::string_view body) &&;

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
            append_json_string(*out_, value);
        }
        end_capture_at(depth_);
        return true;
    }

    bool binary(binary_t&) { return true; } // JSON text has no binary values

    bool start_object(std::size_t) { return open(value_kind::object, '{'); }
    bool start_array(std::size_t) { return open(value_kind::array, '['); }
    bool end_object() { return close('}'); }
    bool end_array() { return close(']'); }

    bool key(std::string_view key)
    {
        if (in_item_ && depth_ == field_depth_) {
            current_ = field_named(key);
            if (current_ == field::audience)
                return true; // routing, not data: neither the key nor its value is forwarded
        }
        if (writing_) {
            separate();
            append_json_string(*out_, key);
            *out_ += ':';
            need_comma_ = false;
        }
        return true;
    }

    bool parse_error(std::size_t position, std::string const&,
                     nlohmann::detail::exception const& ex);

private:
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
        origin,
        audience
    };

    /** Why an item was refused: the member and what is wrong with it. */
    struct member_error
    {
        char const* where;
        char const* what;
    };

    static constexpr std::size_t typical_body_size = 256; // of a batch item, allocated at once

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
    std::string* out_ = &body_; // body_, or audience_text_ while the audience is read

    // The current item's `audience`, compact, and the writing state it interrupted.
    struct writing_state
    {
        bool writing = false;
        bool need_comma = false;
    };
    bool audience_seen_ = false;
    bool capturing_ = false;
    writing_state capture_;
    std::string audience_text_;

    std::vector<notification> items_;
    std::optional<std::string> item_error_;
    std::string syntax_error_;
    bool too_deep_ = false;

    static field field_named(std::string_view key)
    {
        if (key == "name")
            return field::name;
        if (key == "type")
            return field::type;
        if (key == "id")
            return field::id;
        if (key == "origin")
            return field::origin;
        if (key == "audience")
            return field::audience;
        return field::other;
    }

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
            *out_ += text;
        }
        end_capture_at(depth_);
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
            *out_ += bracket;
            need_comma_ = false;
        }
        return true;
    }

    bool close(char bracket)
    {
        --depth_;
        if (writing_) {
            *out_ += bracket;
            need_comma_ = true;
        }
        end_capture_at(depth_);
        if (in_item_ && depth_ + 1 == field_depth_)
            finish_item();
        return true;
    }

    void separate()
    {
        if (need_comma_)
            *out_ += ',';
        need_comma_ = true;
    }

    // An item's `audience` is written, compact, to audience_text_ instead of its body: from its
    // first event (begin_capture) to the one that completes it at the member's depth.
    void begin_capture()
    {
        capture_ = {writing_, need_comma_};
        capturing_ = true;
        audience_seen_ = true; // the last one counts, as with JSON.parse
        audience_text_.clear();
        out_ = &audience_text_;
        writing_ = true;
        need_comma_ = false;
    }

    void end_capture_at(std::size_t depth)
    {
        if (!capturing_ || depth != field_depth_)
            return;
        capturing_ = false;
        out_ = &body_;
        writing_ = capture_.writing;
        need_comma_ = capture_.need_comma;
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
            if (current_ == field::audience)
                begin_capture();
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
        case field::audience:
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
        audience_seen_ = false;
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
        std::shared_ptr<audience const> to;
        if (audience_seen_) {
            auto parsed = parse_audience(audience_text_);
            if (!parsed.value)
                return refuse_item_with(std::move(parsed.error));
            to = std::make_shared<audience const>(std::move(*parsed.value));
        }
        items_.push_back(
            notification{std::move(name_), std::move(id_), std::move(body_), std::move(to)});
    }

    std::optional<member_error> check_item() const;
    void refuse_item(member_error error);
    void refuse_item_with(std::string message); // `message` names the member and what is wrong
};

} // namespace sse_server
