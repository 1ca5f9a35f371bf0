#pragma once

#include "jwt_signer.hpp"
#include "options.hpp"

#include <cstddef>
#include <optional>
#include <string>

namespace sse_server::bench {

/** The credential each sse-server stream presents: its API key (`X-API-Key`), or with
    `--jwt-*` a token signed for its user (`Authorization: Bearer`), made when asked, before
    the streams connect. */
class stream_credentials
{
public:
    /** Loads the signing key when the run signs tokens; throws std::runtime_error when it
        cannot. Tokens expire one hour from now. */
    explicit stream_credentials(options const& o);

    /** The header line of stream `index`, with its CRLF. */
    std::string header_of(std::size_t index) const;

private:
    options const& opts_;
    std::optional<jwt_signer> signer_;
    long long expires_ = 0;
};

} // namespace sse_server::bench
