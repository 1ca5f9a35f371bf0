#include "jwt_signer.hpp"

#include "sse_server/base/base64url.hpp"

#include <fstream>
#include <iterator>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <stdexcept>

namespace sse_server::bench {

namespace {

std::string file_bytes(std::string const& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read " + path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::shared_ptr<EVP_PKEY> private_key(std::string const& path)
{
    auto const pem = file_bytes(path);
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
    EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
    if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
        EVP_PKEY_free(key);
        throw std::runtime_error(path + ": no RSA private key (PEM)");
    }
    return {key, &EVP_PKEY_free};
}

} // namespace

jwt_signer::jwt_signer(jwt_algorithm alg, std::string const& key_file) : alg_(alg)
{
    if (alg_ == jwt_algorithm::hs256) {
        secret_ = file_bytes(key_file);
        if (!secret_.empty() && secret_.back() == '\n')
            secret_.pop_back();
        if (secret_.empty())
            throw std::runtime_error(key_file + ": empty secret");
    } else if (alg_ == jwt_algorithm::rs256) {
        key_ = private_key(key_file);
    } else {
        throw std::runtime_error("jwt_signer: no algorithm");
    }
}

std::string jwt_signer::token(std::string const& subject, long long expires) const
{
    // The subject is the bench's decimal user id: nothing in it needs escaping.
    std::string const header = alg_ == jwt_algorithm::hs256 ? R"({"alg":"HS256","typ":"JWT"})"
                                                            : R"({"alg":"RS256","typ":"JWT"})";
    auto const payload = R"({"sub":")" + subject + R"(","exp":)" + std::to_string(expires) + "}";
    auto input = encode_base64url(header) + '.' + encode_base64url(payload);
    auto const sig = signature(input);
    input += '.';
    input += encode_base64url(sig);
    return input;
}

std::string jwt_signer::signature(std::string const& input) const
{
    if (alg_ == jwt_algorithm::hs256) {
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int size = 0;
        if (HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
                 reinterpret_cast<unsigned char const*>(input.data()), input.size(), mac,
                 &size) == nullptr)
            throw std::runtime_error("HMAC-SHA256 failed");
        return {reinterpret_cast<char const*>(mac), size};
    }
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                 &EVP_MD_CTX_free);
    std::size_t size = 0;
    if (!ctx ||
        EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &size,
                       reinterpret_cast<unsigned char const*>(input.data()), input.size()) != 1)
        throw std::runtime_error("RS256: cannot sign");
    std::string sig(size, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &size,
                       reinterpret_cast<unsigned char const*>(input.data()), input.size()) != 1)
        throw std::runtime_error("RS256: cannot sign");
    sig.resize(size);
    return sig;
}

} // namespace sse_server::bench
