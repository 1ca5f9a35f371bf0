#include "sse_server/config/config_setting.hpp"

#include <algorithm>
#include <charconv>
#include <sstream>
#include <system_error>
#include <utility>

namespace sse_server {

namespace {

// An integer from the environment: an optional '-', then decimal digits and nothing else.
std::optional<std::int64_t> parse_integer(std::string_view text)
{
    auto const negative = text.starts_with('-');
    auto const digits = text.substr(negative);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos)
        return std::nullopt;
    std::int64_t magnitude{};
    auto const [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude);
    if (ec != std::errc{} || end != digits.data() + digits.size())
        return std::nullopt;
    return negative ? -magnitude : magnitude;
}

} // namespace

std::string in_quotes(std::string_view text)
{
    std::string quoted;
    quoted.reserve(text.size() + 2);
    quoted.append(1, '"').append(text).append(1, '"');
    return quoted;
}

std::string describe(toml::node const& node)
{
    std::ostringstream out;
    if (auto const* text = node.as_string())
        out << in_quotes(text->get());
    else if (auto const* integer = node.as_integer())
        out << integer->get();
    else if (auto const* number = node.as_floating_point())
        out << number->get();
    else if (auto const* flag = node.as_boolean())
        out << (flag->get() ? "true" : "false");
    else
        out << "a TOML " << node.type();
    return out.str();
}

setting::setting(std::string_view key, toml::node const& node, bool secret)
    : where_{key}, node_{&node}, secret_{secret}
{
}

setting::setting(std::string_view key, std::string const& variable, std::string value,
                 bool secret)
    : where_{std::string{key} + " (from " + variable + ")"}, env_{std::move(value)},
      secret_{secret}
{
}

std::string setting::shown(toml::node const& node) const
{
    if (!secret_)
        return describe(node);
    std::ostringstream out;
    out << "a TOML " << node.type() << " (value not shown)";
    return out.str();
}

std::string setting::shown(std::string const& text) const
{
    return secret_ ? std::string("a value not shown") : in_quotes(text);
}

void setting::fail(std::string const& why) const
{
    throw config_error(about(why));
}

std::string setting::about(std::string const& why) const
{
    return where_ + ": " + why;
}

std::string setting::text() const
{
    if (env_)
        return *env_;
    if (auto const* value = node_->as_string())
        return value->get();
    fail("expected a string, got " + shown(*node_));
}

std::string setting::text_in(std::initializer_list<std::string_view> choices) const
{
    auto value = text();
    if (std::find(choices.begin(), choices.end(), value) != choices.end())
        return value;
    std::string list;
    for (auto const choice : choices)
        list += (list.empty() ? "" : ", ") + in_quotes(choice);
    fail("expected one of " + list + ", got " + shown(value));
}

bool setting::boolean() const
{
    if (env_ && (*env_ == "true" || *env_ == "false"))
        return *env_ == "true";
    if (env_)
        fail("expected true or false, got " + shown(*env_));
    if (auto const* value = node_->as_boolean())
        return value->get();
    fail("expected a boolean (true or false), got " + shown(*node_));
}

std::size_t setting::count(std::int64_t minimum) const
{
    auto const value = integer();
    if (value < 0)
        fail("must not be negative, got " + std::to_string(value));
    if (value < minimum)
        fail("must be at least " + std::to_string(minimum) + ", got " + std::to_string(value));
    return static_cast<std::size_t>(value);
}

milliseconds setting::duration() const
{
    if (!env_ && !node_->is_string())
        fail(R"(expected a duration like "15s", got )" + shown(*node_));
    auto const value = text();
    if (auto const parsed = parse_duration(value))
        return *parsed;
    fail(R"(expected a duration: an integer and a unit, as in "250ms", "15s", "5m", "1h", )"
         "at most 365 days, got " +
         shown(value));
}

milliseconds setting::positive_duration() const
{
    auto const value = duration();
    if (value <= milliseconds::zero())
        fail("must be greater than 0s");
    return value;
}

std::vector<std::string> setting::texts() const
{
    if (!env_)
        return texts_in(*node_);
    toml::table parsed;
    try {
        parsed = toml::parse("value = " + *env_);
    } catch (toml::parse_error const&) {
    }
    if (parsed.size() != 1 || !parsed.contains("value"))
        fail(R"(expected a TOML array like ["a", "b"] (value not shown))");
    return texts_in(*parsed.get("value"));
}

std::int64_t setting::integer() const
{
    if (env_) {
        if (auto const value = parse_integer(*env_))
            return *value;
        fail("expected an integer, got " + shown(*env_));
    }
    if (auto const* value = node_->as_integer())
        return value->get();
    fail("expected an integer, got " + shown(*node_));
}

std::vector<std::string> setting::texts_in(toml::node const& node) const
{
    auto const* array = node.as_array();
    if (array == nullptr)
        fail("expected an array of strings, got " + shown(node));
    std::vector<std::string> result;
    for (auto const& item : *array) {
        if (!item.is_string())
            fail("expected an array of strings, got an item " + shown(item));
        result.push_back(item.as_string()->get());
    }
    return result;
}

} // namespace sse_server
