#include "sse_server/notification.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <utility>

namespace sse_server {

namespace {

using json = nlohmann::ordered_json;

constexpr std::size_t max_depth = 64;
constexpr std::size_t max_event_name_length = 128;
constexpr std::size_t max_parser_message_length = 160;

/** Why an item was refused: the field path and what is wrong with it. */
struct item_error
{
    std::string where;
    std::string what;
};

// nlohmann's parser recurses once per level, so `[[[[…` in a 1 MiB body would exhaust the
// stack before any limit of ours could apply. Counting brackets outside strings is enough to
// bound the depth the parser will see.
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

/** Records the parser's reason for refusing a text; ignores every value it reads. */
class parse_error_recorder : public json::json_sax_t
{
public:
    std::string const& message() const { return message_; }

    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, string_t const&) override { return true; }
    bool string(string_t&) override { return true; }
    bool binary(binary_t&) override { return true; }
    bool start_object(std::size_t) override { return true; }
    bool key(string_t&) override { return true; }
    bool end_object() override { return true; }
    bool start_array(std::size_t) override { return true; }
    bool end_array() override { return true; }

    bool parse_error(std::size_t position, std::string const&,
                     nlohmann::detail::exception const& ex) override
    {
        message_ = shorten(ex.what()) + " at byte " + std::to_string(position);
        return false;
    }

private:
    std::string message_;

    // The library's text starts with an internal tag and may quote the offending token at
    // length ("; last read: '…'"): the API author needs the reason and the offset only.
    static std::string shorten(std::string_view what)
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
};

std::string describe_parse_error(std::string_view body)
{
    parse_error_recorder recorder;
    json::sax_parse(body.begin(), body.end(), &recorder);
    return recorder.message().empty() ? std::string("unreadable body") : recorder.message();
}

std::optional<item_error> check_string_field(json const& item, char const* field)
{
    auto const it = item.find(field);
    if (it == item.end())
        return item_error{field, "missing"};
    if (!it->is_string())
        return item_error{field, "must be a string"};
    return std::nullopt;
}

/** Validates one notification object and builds it, or says which field is wrong. */
std::pair<std::optional<notification>, std::optional<item_error>> read_item(json const& item)
{
    if (!item.is_object())
        return {std::nullopt, item_error{"", "must be an object"}};

    if (auto error = check_string_field(item, "name"))
        return {std::nullopt, std::move(error)};
    auto const& name = item.at("name").get_ref<std::string const&>();
    if (!is_valid_event_name(name))
        return {std::nullopt, item_error{"name", "must match [A-Za-z0-9_.:-]{1,128}"}};

    if (auto error = check_string_field(item, "type"))
        return {std::nullopt, std::move(error)};
    if (item.at("type").get_ref<std::string const&>().empty())
        return {std::nullopt, item_error{"type", "must not be empty"}};

    auto const id = item.find("id");
    if (id == item.end())
        return {std::nullopt, item_error{"id", "missing"}};
    std::string id_text;
    if (id->is_string())
        id_text = id->get_ref<std::string const&>();
    else if (id->is_number_unsigned())
        id_text = std::to_string(id->get<std::uint64_t>());
    else if (id->is_number_integer())
        id_text = std::to_string(id->get<std::int64_t>());
    else if (id->is_number_float())
        id_text = id->dump();
    else
        return {std::nullopt, item_error{"id", "must be a number or a string"}};
    if (id_text.empty())
        return {std::nullopt, item_error{"id", "must not be empty"}};

    if (auto const origin = item.find("origin");
        origin != item.end() && !origin->is_null() && !origin->is_string())
        return {std::nullopt, item_error{"origin", "must be a string or null"}};

    return {notification{name, std::move(id_text), {}}, std::nullopt};
}

notification_batch refuse(std::string message)
{
    return notification_batch{{}, std::move(message)};
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
    if (nested_too_deep(body))
        return refuse("JSON nested deeper than 64 levels");

    // ordered_json keeps the keys of batch items in the order the API wrote them.
    json const root = json::parse(body.begin(), body.end(), nullptr, false);
    if (root.is_discarded())
        return refuse("invalid JSON: " + describe_parse_error(body));

    if (root.is_object()) {
        auto [item, error] = read_item(root);
        if (error)
            return refuse(error->where + ": " + error->what);
        // The API's own text goes out untouched: no re-serialisation can alter numbers or
        // escapes the application relies on.
        item->body = std::string(body);
        return notification_batch{{std::move(*item)}, std::nullopt};
    }
    if (!root.is_array())
        return refuse("body: must be a notification object or an array of them");

    notification_batch batch;
    batch.items.reserve(root.size());
    for (std::size_t i = 0; i < root.size(); ++i) {
        auto [item, error] = read_item(root[i]);
        if (error) {
            auto const index = fmt::format("[{}]", i);
            return refuse(error->where.empty() ? index + ": " + error->what
                                               : index + "." + error->where + ": " + error->what);
        }
        // The parser has already rejected ill-formed UTF-8; `replace` only guarantees that
        // dump() cannot throw.
        item->body = root[i].dump(-1, ' ', false, json::error_handler_t::replace);
        batch.items.push_back(std::move(*item));
    }
    return batch;
}

} // namespace sse_server
