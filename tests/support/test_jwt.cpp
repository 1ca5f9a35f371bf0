#include "support/test_jwt.hpp"

#include "sse_server/base/base64url.hpp"

#include <array>
#include <chrono>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdexcept>
#include <vector>

namespace sse_server::testing {

namespace {

std::string b64(std::string_view bytes)
{
    return encode_base64url(bytes);
}

std::string bignum_param(EVP_PKEY* key, char const* name)
{
    BIGNUM* value = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &value) != 1)
        throw std::runtime_error("no key parameter");
    std::string out(static_cast<std::size_t>(BN_num_bytes(value)), '\0');
    BN_bn2bin(value, reinterpret_cast<unsigned char*>(out.data()));
    BN_free(value);
    return out;
}

// ES256 signatures are r||s, 32 bytes each, where OpenSSL writes DER.
std::string raw_of_der(std::string const& der)
{
    auto const* p = reinterpret_cast<unsigned char const*>(der.data());
    std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig{
        d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())), &ECDSA_SIG_free};
    if (!sig)
        throw std::runtime_error("bad DER signature");
    std::string raw(64, '\0');
    auto* out = reinterpret_cast<unsigned char*>(raw.data());
    BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + 32, 32);
    return raw;
}

} // namespace

test_key::test_key(test_key_type type, unsigned rsa_bits) : type_(type)
{
    EVP_PKEY* key = nullptr;
    switch (type) {
    case test_key_type::rsa:
        key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(rsa_bits));
        break;
    case test_key_type::ec_p256:
        key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
        break;
    case test_key_type::ed25519:
        key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
        break;
    }
    if (!key)
        throw std::runtime_error("key generation failed");
    key_.reset(key, &EVP_PKEY_free);
}

std::string test_key::public_pem() const
{
    std::unique_ptr<BIO, decltype(&BIO_free)> bio{BIO_new(BIO_s_mem()), &BIO_free};
    PEM_write_bio_PUBKEY(bio.get(), key_.get());
    char* data = nullptr;
    auto const size = BIO_get_mem_data(bio.get(), &data);
    return {data, static_cast<std::size_t>(size)};
}

nlohmann::json test_key::jwk(std::string const& kid) const
{
    nlohmann::json out;
    switch (type_) {
    case test_key_type::rsa:
        out = {{"kty", "RSA"},
               {"n", b64(bignum_param(key_.get(), OSSL_PKEY_PARAM_RSA_N))},
               {"e", b64(bignum_param(key_.get(), OSSL_PKEY_PARAM_RSA_E))}};
        break;
    case test_key_type::ec_p256: {
        std::array<unsigned char, 65> point{};
        std::size_t size = 0;
        EVP_PKEY_get_octet_string_param(key_.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                        point.data(), point.size(), &size);
        std::string const bytes(reinterpret_cast<char const*>(point.data()), size);
        out = {{"kty", "EC"},
               {"crv", "P-256"},
               {"x", b64(bytes.substr(1, 32))},
               {"y", b64(bytes.substr(33, 32))}};
        break;
    }
    case test_key_type::ed25519: {
        std::array<unsigned char, 32> raw{};
        std::size_t size = raw.size();
        EVP_PKEY_get_raw_public_key(key_.get(), raw.data(), &size);
        out = {{"kty", "OKP"},
               {"crv", "Ed25519"},
               {"x", b64({reinterpret_cast<char const*>(raw.data()), size})}};
        break;
    }
    }
    if (!kid.empty())
        out["kid"] = kid;
    return out;
}

std::string test_key::sign(std::string_view alg, std::string_view input) const
{
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
    EVP_PKEY_CTX* pctx = nullptr;
    auto const* md = alg == "EdDSA" ? nullptr : EVP_sha256();
    if (EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, key_.get()) != 1)
        throw std::runtime_error("sign init failed");
    if (alg == "PS256") {
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256());
    }
    auto const* data = reinterpret_cast<unsigned char const*>(input.data());
    std::size_t size = 0;
    if (EVP_DigestSign(ctx.get(), nullptr, &size, data, input.size()) != 1)
        throw std::runtime_error("sign failed");
    std::string out(size, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &size, data,
                       input.size()) != 1)
        throw std::runtime_error("sign failed");
    out.resize(size);
    return type_ == test_key_type::ec_p256 ? raw_of_der(out) : out;
}

std::string hs256_signature(std::string_view secret, std::string_view input)
{
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int size = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<unsigned char const*>(input.data()), input.size(), mac.data(), &size);
    return {reinterpret_cast<char const*>(mac.data()), size};
}

std::string signing_input(nlohmann::json const& header, nlohmann::json const& payload)
{
    return b64(header.dump()) + "." + b64(payload.dump());
}

std::string sign_jwt(test_key const& key, std::string const& alg, nlohmann::json const& payload,
                     std::optional<std::string> const& kid)
{
    nlohmann::json header{{"alg", alg}, {"typ", "JWT"}};
    if (kid)
        header["kid"] = *kid;
    auto const input = signing_input(header, payload);
    return input + "." + b64(key.sign(alg, input));
}

std::string sign_jwt_hs256(std::string_view secret, nlohmann::json const& payload,
                           std::optional<std::string> const& kid)
{
    nlohmann::json header{{"alg", "HS256"}, {"typ", "JWT"}};
    if (kid)
        header["kid"] = *kid;
    auto const input = signing_input(header, payload);
    return input + "." + b64(hs256_signature(secret, input));
}

long long epoch_seconds(long long offset)
{
    auto const now = std::chrono::system_clock::now().time_since_epoch();
    return std::chrono::duration_cast<std::chrono::seconds>(now).count() + offset;
}

} // namespace sse_server::testing
