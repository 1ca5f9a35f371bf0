#include "sse_server/auth/jwt.hpp"

#include <array>
#include <memory>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

// RFC 7518 §3 with OpenSSL's EVP interface. The key decides which algorithm may be used, never
// the token: HS256 with a public key's bytes as the secret, or RS256 against an EC key, are
// refused before anything is computed.

namespace sse_server {

namespace {

bool fits(jwt_alg alg, jwt_key const& key)
{
    switch (key.type) {
    case jwt_key_type::rsa:
        return alg == jwt_alg::rs256 || alg == jwt_alg::ps256;
    case jwt_key_type::ec_p256:
        return alg == jwt_alg::es256;
    case jwt_key_type::ed25519:
        return alg == jwt_alg::eddsa;
    case jwt_key_type::hmac:
        return alg == jwt_alg::hs256;
    }
    return false;
}

std::string_view alg_name(jwt_alg alg)
{
    switch (alg) {
    case jwt_alg::rs256:
        return "RS256";
    case jwt_alg::ps256:
        return "PS256";
    case jwt_alg::es256:
        return "ES256";
    case jwt_alg::eddsa:
        return "EdDSA";
    case jwt_alg::hs256:
        break;
    }
    return "HS256";
}

unsigned char const* bytes(std::string_view text)
{
    return reinterpret_cast<unsigned char const*>(text.data());
}

bool hmac_matches(jwt_parts const& parts, std::string const& secret)
{
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int size = 0;
    if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
              bytes(parts.signed_part), parts.signed_part.size(), mac.data(), &size))
        return false;
    // The signature's length is public; its contents are compared in constant time.
    return parts.signature.size() == size &&
           CRYPTO_memcmp(mac.data(), parts.signature.data(), size) == 0;
}

/** JOSE writes an ECDSA signature as r||s (32 bytes each for P-256); OpenSSL wants DER. */
std::optional<std::string> der_of_p256_signature(std::string const& raw)
{
    if (raw.size() != 64)
        return std::nullopt;
    std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig{ECDSA_SIG_new(), &ECDSA_SIG_free};
    BIGNUM* r = BN_bin2bn(bytes(raw), 32, nullptr);
    BIGNUM* s = BN_bin2bn(bytes(raw) + 32, 32, nullptr);
    if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
        BN_free(r);
        BN_free(s);
        return std::nullopt;
    }
    unsigned char* der = nullptr;
    auto const size = i2d_ECDSA_SIG(sig.get(), &der);
    if (size <= 0)
        return std::nullopt;
    std::string out(reinterpret_cast<char const*>(der), static_cast<std::size_t>(size));
    OPENSSL_free(der);
    return out;
}

bool public_key_verifies(jwt_parts const& parts, jwt_key const& key)
{
    std::string signature = parts.signature;
    if (parts.alg == jwt_alg::es256) {
        auto der = der_of_p256_signature(parts.signature);
        if (!der)
            return false;
        signature = std::move(*der);
    }
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
    EVP_PKEY_CTX* pkey_ctx = nullptr;
    // Ed25519 hashes the message itself: no digest is named.
    auto const* md = parts.alg == jwt_alg::eddsa ? nullptr : EVP_sha256();
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pkey_ctx, md, nullptr, key.public_key.get()) != 1)
        return false;
    if (parts.alg == jwt_alg::ps256 &&
        (EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PSS_PADDING) != 1 ||
         EVP_PKEY_CTX_set_rsa_mgf1_md(pkey_ctx, EVP_sha256()) != 1 ||
         // RFC 7518 §3.5: the salt is as long as the hash.
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pkey_ctx, RSA_PSS_SALTLEN_DIGEST) != 1))
        return false;
    if (parts.alg == jwt_alg::rs256 &&
        EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PADDING) != 1)
        return false;
    return EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(), bytes(parts.signed_part),
                            parts.signed_part.size()) == 1;
}

} // namespace

std::optional<std::string> check_jwt_signature(jwt_parts const& parts, jwt_key const& key)
{
    if (!fits(parts.alg, key) || (!key.alg.empty() && key.alg != alg_name(parts.alg)))
        return "alg does not fit the key";
    auto const verified = key.type == jwt_key_type::hmac ? hmac_matches(parts, key.secret)
                                                         : public_key_verifies(parts, key);
    // A failed verification leaves errors on OpenSSL's thread-local queue: not for the next
    // caller to find.
    ERR_clear_error();
    if (!verified)
        return "bad signature";
    return std::nullopt;
}

} // namespace sse_server
