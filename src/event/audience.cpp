#include "sse_server/event/audience.hpp"

#include "sse_server/event/json_text.hpp"
#include "sse_server/event/notification.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace sse_server {

namespace {

/** SAX events of an audience value; stops at the first thing out of place. */
class audience_reader
{
public:
    using json = nlohmann::json;

    /** `prefix` names the value in errors ("audience." or ""); a revalidation's list of users
        takes no `groups`. */
    audience_reader(std::string_view prefix, bool groups_allowed)
        : prefix_(prefix), groups_allowed_(groups_allowed)
    {
    }

    audience result;
    std::string error;

    bool null() { return refuse_value(); }
    bool boolean(bool) { return refuse_value(); }
    bool number_integer(json::number_integer_t v) { return id(std::to_string(v)); }
    bool number_unsigned(json::number_unsigned_t v) { return id(std::to_string(v)); }
    bool number_float(json::number_float_t, std::string const&) { return refuse_value(); }
    bool binary(json::binary_t&) { return refuse_value(); }

    bool string(std::string& value)
    {
        if (depth_ != 2)
            return refuse_value();
        if (list_ == list::groups) {
            if (!is_valid_event_name(value))
                return fail(where() + ": must match [A-Za-z0-9_.:-]{1,128}");
            result.groups.push_back(std::move(value));
        } else {
            result.users.push_back(std::move(value));
        }
        ++index_;
        return true;
    }

    bool start_object(std::size_t)
    {
        if (depth_ != 0)
            return refuse_value();
        ++depth_;
        return true;
    }

    bool key(std::string& name)
    {
        if (name == "users")
            list_ = list::users;
        else if (name == "groups" && groups_allowed_)
            list_ = list::groups;
        else
            return fail(prefix_ + name +
                        (groups_allowed_ ? ": unknown member (users and groups only)"
                                         : ": unknown member (users only)"));
        return true;
    }

    bool end_object()
    {
        --depth_;
        return true;
    }

    bool start_array(std::size_t)
    {
        if (depth_ != 1)
            return refuse_value();
        ++depth_;
        index_ = 0;
        // A list given twice: the last one counts, as JSON.parse keeps the last member.
        (list_ == list::users ? result.users : result.groups).clear();
        return true;
    }

    bool end_array()
    {
        --depth_;
        return true;
    }

    bool parse_error(std::size_t, std::string const&, nlohmann::detail::exception const&)
    {
        if (error.empty())
            error = subject() + ": invalid JSON";
        return false;
    }

private:
    enum class list
    {
        users,
        groups
    };

    std::string where() const
    {
        return prefix_ + (list_ == list::users ? "users" : "groups") + "[" +
               std::to_string(index_) + "]";
    }

    bool id(std::string text)
    {
        if (depth_ != 2 || list_ != list::users)
            return refuse_value();
        result.users.push_back(std::move(text));
        ++index_;
        return true;
    }

    bool refuse_value()
    {
        switch (depth_) {
        case 0:
            return fail(subject() + ": must be an object");
        case 1:
            return fail(prefix_ + (list_ == list::users ? "users" : "groups") +
                        ": must be an array");
        default:
            return fail(where() + (list_ == list::users ? ": must be a string or an integer"
                                                        : ": must be a string"));
        }
    }

    bool fail(std::string why)
    {
        error = std::move(why);
        return false;
    }

    std::string subject() const
    {
        return prefix_.empty() ? std::string("body") : prefix_.substr(0, prefix_.size() - 1);
    }

    std::string prefix_;
    bool groups_allowed_;
    int depth_ = 0;
    list list_ = list::users;
    std::size_t index_ = 0;
};

/** `["a","b"]`, compact. */
void append_json_strings(std::string& out, std::span<std::string const> values)
{
    out += '[';
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i)
            out += ',';
        append_json_string(out, values[i]);
    }
    out += ']';
}

} // namespace

bool audience::admits(std::string_view user, std::span<std::string const> user_groups) const
{
    if (std::find(users.begin(), users.end(), user) != users.end())
        return true;
    return std::any_of(user_groups.begin(), user_groups.end(), [this](std::string const& g) {
        return std::find(groups.begin(), groups.end(), g) != groups.end();
    });
}

std::string audience::json() const
{
    std::string out = "{\"users\":";
    append_json_strings(out, users);
    out += ",\"groups\":";
    append_json_strings(out, groups);
    out += '}';
    return out;
}

std::size_t audience::footprint() const
{
    auto list_bytes = [](std::vector<std::string> const& list) {
        std::size_t bytes = list.capacity() * sizeof(std::string);
        for (auto const& s : list) {
            // A short string lives inside its object (no allocation); a longer one on the heap.
            auto const* inside = reinterpret_cast<char const*>(&s);
            bool const small = s.data() >= inside && s.data() < inside + sizeof(std::string);
            bytes += small ? 0 : s.capacity() + 1;
        }
        return bytes;
    };
    return sizeof(audience) + list_bytes(users) + list_bytes(groups);
}

audience_result parse_audience(std::string_view text)
{
    audience_reader reader("audience.", true);
    bool const ok = nlohmann::json::sax_parse(text.begin(), text.end(), &reader);
    if (!ok || !reader.error.empty())
        return {std::nullopt, reader.error.empty() ? "audience: invalid JSON" : reader.error};
    return {std::move(reader.result), {}};
}

user_list_result parse_user_list(std::string_view text)
{
    audience_reader reader("", false);
    bool const ok = nlohmann::json::sax_parse(text.begin(), text.end(), &reader);
    if (!ok || !reader.error.empty())
        return {std::nullopt, reader.error.empty() ? "body: invalid JSON" : reader.error};
    return {std::move(reader.result.users), {}};
}

std::string user_list_json(std::span<std::string const> users)
{
    std::string out = "{\"users\":";
    append_json_strings(out, users);
    out += '}';
    return out;
}

} // namespace sse_server
