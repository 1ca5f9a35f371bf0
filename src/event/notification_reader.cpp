#include "sse_server/event/notification_reader.hpp"

#include "sse_server/event/json_member.hpp"

namespace sse_server {

namespace {

constexpr std::size_t max_parser_message_length = 160;

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

} // namespace

notification_batch notification_reader::result(std::string_view body) &&
{
    if (root_ != value_kind::object && root_ != value_kind::array)
        return {{}, "body: must be a notification object or an array of them"};
    if (item_error_)
        return {{}, std::move(item_error_)};
    // The API's own text goes out untouched: no re-serialisation can alter numbers or
    // escapes the application relies on.
    if (root_ == value_kind::object)
        items_.front().body =
            audience_seen_ ? without_member(body, "audience") : std::string(body);
    return {std::move(items_), std::nullopt};
}

bool notification_reader::parse_error(std::size_t position, std::string const&,
                                      nlohmann::detail::exception const& ex)
{
    syntax_error_ = shorten_parser_message(ex.what()) + " at byte " + std::to_string(position);
    return false;
}

std::optional<notification_reader::member_error> notification_reader::check_item() const
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
    if (origin_kind_ != value_kind::absent && origin_kind_ != value_kind::null &&
        origin_kind_ != value_kind::string)
        return member_error{"origin", "must be a string or null"};
    return std::nullopt;
}

// Only the first bad item is reported; the items before it are dropped with it.
void notification_reader::refuse_item(member_error error)
{
    refuse_item_with(std::string(error.where) + ": " + error.what);
}

void notification_reader::refuse_item_with(std::string message)
{
    if (item_error_)
        return;
    // In a batch, the item's index first: "[2].name: missing", "[2]: must be an object".
    if (root_ == value_kind::array)
        message.insert(0, '[' + std::to_string(entries_ - 1) + ']' +
                              (message.starts_with(':') ? "" : "."));
    item_error_ = std::move(message);
    items_.clear();
    writing_ = false;
}

} // namespace sse_server
