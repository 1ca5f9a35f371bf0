#pragma once

#include "sse_server/config/config.hpp"
#include "sse_server/config/config_setting.hpp"

// Keys whose value is the path of a file holding a secret (Docker secrets, systemd
// credentials); part of the config loader's vocabulary, like config_setting.hpp.

namespace sse_server {

/** The whole text of the regular file the setting names, at most 64 KiB; a message may show
    the path, never what the file holds. With `secret`, a file other users may read is a
    warning (a public key is no secret). */
std::string file_text_in(config& c, setting const& value, bool secret);

/** notify.token_file: the notification token, alone on the one line of its file. */
void token_file_in(config& c, setting const& value);

/** auth.session.secrets_file: the cookie-signing secrets, one per line, newest first. */
void secrets_file_in(config& c, setting const& value);

/** A file the daemon reads later (redis.tls_ca_file, redis.tls_cert_file): readable and a
    regular file now, so that a typo fails at start, not at the first connect. "" stays "". */
std::string readable_file_in(setting const& value);

/** redis.tls_key_file: the client's private key, checked as a secret file is. */
void tls_key_file_in(config& c, setting const& value);

/** redis.password_file: the Redis password, alone on the one line of its file. */
void password_file_in(config& c, setting const& value);

} // namespace sse_server
