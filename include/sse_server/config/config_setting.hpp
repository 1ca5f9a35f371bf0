#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <toml++/toml.h>
#include <vector>

#include "sse_server/config/config.hpp"

// The config loader's own vocabulary (config*.cpp); nothing else includes this header.

namespace sse_server {

/** The text between double quotes, as config messages show values. */
std::string in_quotes(std::string_view text);

/** The value itself for scalars (users write `max_connections = "100"`), the type otherwise. */
std::string describe(toml::node const& node);

/** One key's effective value, from the environment or the file; its readers check the type and
    range and throw config_error naming the key (and the variable, for an override). */
class setting
{
public:
    setting(std::string_view key, toml::node const& node, bool secret = false);
    setting(std::string_view key, std::string const& variable, std::string value,
            bool secret = false);

    [[noreturn]] void fail(std::string const& why) const;
    /** `why` after the key (and variable) it is about, as fail() says it: for a warning. */
    std::string about(std::string const& why) const;

    std::string text() const;
    std::string text_in(std::initializer_list<std::string_view> choices) const;
    bool boolean() const;
    std::size_t count(std::int64_t minimum) const;
    milliseconds duration() const;
    milliseconds positive_duration() const;
    // An array may hold secrets (auth.session.secrets), so a bad one is not repeated.
    std::vector<std::string> texts() const;

private:
    std::int64_t integer() const;
    // What a message shows of a value that is not what the key takes: the value itself,
    // or only its type for a secret.
    std::string shown(toml::node const& node) const;
    std::string shown(std::string const& text) const;
    std::vector<std::string> texts_in(toml::node const& node) const;

    std::string where_;
    toml::node const* node_ = nullptr;
    std::optional<std::string> env_;
    bool secret_ = false;
};

} // namespace sse_server
