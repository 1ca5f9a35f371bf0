#pragma once

#include <span>
#include <string_view>

#include "sse_server/config/config.hpp"
#include "sse_server/config/config_setting.hpp"

namespace sse_server {

/** A known key: its dotted path (also its environment variable) and where its value goes. */
struct key_spec
{
    std::string_view path;
    void (*apply)(config&, setting const&);
    bool secret = false; // its value (or a password in it) is never repeated in a message
};

/** The one list of keys: the file, the environment and the unknown-key check all read it. */
std::span<key_spec const> known_keys();

/** True when `path` (dotted) is one of known_keys(). */
bool is_known_key(std::string_view path);

/** True when `path` is a section holding at least one known key ("auth", "auth.session"). */
bool is_known_section(std::string_view path);

} // namespace sse_server
