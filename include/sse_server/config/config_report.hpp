#pragma once

#include "sse_server/config/config.hpp"

#include <string>
#include <vector>

namespace sse_server {

/** One key of a loaded configuration and its value as TOML writes it. */
struct effective_setting
{
    std::string path;  // "client.heartbeat"
    std::string value; // "\"15s\""
};

/** Every key with the value in force, in the order of the shipped config file. With
    `redact`, secrets (notify.token, auth.session.secrets, the password of a Redis URL) show as
    "<redacted>" whatever they hold; an unset secret shows as empty. */
std::vector<effective_setting> effective_settings(config const& cfg, bool redact);

/** The effective configuration as a TOML document, secrets redacted: what
    `sse-server --check-config` prints. */
std::string effective_config_text(config const& cfg);

/** The keys whose values differ between two configurations (secrets compared unredacted). */
std::vector<std::string> changed_keys(config const& before, config const& after);

/** What a reload did: the keys it applied, and those that changed but need a restart. */
struct reload_outcome
{
    std::vector<std::string> applied;
    std::vector<std::string> need_restart;
};

/** True for the keys a reload applies while streams stay open: log.*, auth.session.secrets
    (and its file), notify.token (and its file), limits.*, client.cors_origins, auth.methods and
    auth.jwt.* (whose key files are read again: rotation by kid). */
bool is_reloadable(std::string_view key);

/** Copies into `running` the reloadable keys of `fresh` (a loaded, valid configuration).
    Throws config_error, changing nothing, when the result would leave a notification port
    that is not on loopback without a token (`fresh` was checked against its own address), or
    list "hook" in auth.methods while the running daemon has no hook URL (auth.hook.* take
    effect at a restart). */
reload_outcome apply_reloadable(config& running, config const& fresh);

} // namespace sse_server
