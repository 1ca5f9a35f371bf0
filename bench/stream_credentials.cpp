#include "stream_credentials.hpp"

#include "api_keys.hpp"
#include "payload.hpp"

#include <chrono>

namespace sse_server::bench {

stream_credentials::stream_credentials(options const& o) : opts_(o)
{
    if (o.jwt == jwt_algorithm::none)
        return;
    signer_.emplace(o.jwt, o.jwt_key_file);
    auto const now = std::chrono::system_clock::now() + std::chrono::hours(1);
    expires_ = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
}

std::string stream_credentials::header_of(std::size_t index) const
{
    if (!signer_)
        return "X-API-Key: " + api_key_of(opts_, index) + "\r\n";
    return "Authorization: Bearer " + signer_->token(std::to_string(user_id_of(index)), expires_) +
           "\r\n";
}

} // namespace sse_server::bench
