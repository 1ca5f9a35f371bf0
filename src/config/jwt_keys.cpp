#include "sse_server/config/jwt_keys.hpp"

#include "sse_server/base/base64url.hpp"

#include <array>
#include <nlohmann/json.hpp>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <set>

namespace sse_server {

namespace {

std::string sha256_of(std::string_view text)
{
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(), nullptr);
    return {reinterpret_cast<char const*>(digest.data()), size};
}

jwt_keys_result refused(std::string why)
{
    ERR_clear_error(); // what OpenSSL noted is said in `why`; it must not reach another caller
    return {nullptr, std::move(why), {}};
}

std::optional<std::string> classify_public_key(EVP_PKEY* key, jwt_key_type& type)
{
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
        // RFC 7518 §3.3: 2048 bits or more; a shorter key can be factored by whoever cares.
        if (EVP_PKEY_get_bits(key) < 2048)
            return "an RSA key of " + std::to_string(EVP_PKEY_get_bits(key)) +
                   " bits is too short (at least 2048)";
        type = jwt_key_type::rsa;
        return std::nullopt;
    case EVP_PKEY_EC: {
        std::array<char, 64> group{};
        std::size_t length = 0;
        if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group.data(),
                                           group.size(), &length) != 1 ||
            std::string_view(group.data(), length) != "prime256v1")
            return std::string("an EC key must be on the curve P-256 (ES256)");
        type = jwt_key_type::ec_p256;
        return std::nullopt;
    }
    case EVP_PKEY_ED25519:
        type = jwt_key_type::ed25519;
        return std::nullopt;
    default:
        return std::string("unsupported key type (expected RSA, EC P-256 or Ed25519)");
    }
}

using json = nlohmann::json;
using pkey_ptr = std::shared_ptr<EVP_PKEY>;

/** The string member `name` of a JWK; null when absent or not a string. */
std::string const* member(json const& jwk, char const* name)
{
    auto const it = jwk.find(name);
    return it != jwk.end() && it->is_string() ? &it->get_ref<std::string const&>() : nullptr;
}

/** The base64url member `name`, at most `max` bytes; empty when absent or malformed. */
std::optional<std::string> bytes_of(json const& jwk, char const* name, std::size_t max)
{
    auto const* text = member(jwk, name);
    if (!text)
        return std::nullopt;
    return decode_base64url(*text, max);
}

// OpenSSL 3's way to make a key from its parts: the parameters, then fromdata.
pkey_ptr key_from(char const* type, OSSL_PARAM_BLD* parts)
{
    std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params{OSSL_PARAM_BLD_to_param(parts),
                                                                   &OSSL_PARAM_free};
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx{
        EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr), &EVP_PKEY_CTX_free};
    EVP_PKEY* key = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
        return nullptr;
    return {key, &EVP_PKEY_free};
}

using param_builder = std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)>;
using bignum = std::unique_ptr<BIGNUM, decltype(&BN_free)>;

pkey_ptr rsa_key(json const& jwk)
{
    auto const n = bytes_of(jwk, "n", 2048); // up to 16384 bits
    auto const e = bytes_of(jwk, "e", 8);
    if (!n || !e || n->empty() || e->empty())
        return nullptr;
    auto const as_bignum = [](std::string const& b) {
        return bignum{BN_bin2bn(reinterpret_cast<unsigned char const*>(b.data()),
                                static_cast<int>(b.size()), nullptr),
                      &BN_free};
    };
    auto const modulus = as_bignum(*n);
    auto const exponent = as_bignum(*e);
    param_builder parts{OSSL_PARAM_BLD_new(), &OSSL_PARAM_BLD_free};
    if (!modulus || !exponent || !parts ||
        OSSL_PARAM_BLD_push_BN(parts.get(), OSSL_PKEY_PARAM_RSA_N, modulus.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(parts.get(), OSSL_PKEY_PARAM_RSA_E, exponent.get()) != 1)
        return nullptr;
    return key_from("RSA", parts.get());
}

pkey_ptr p256_key(json const& jwk)
{
    auto const x = bytes_of(jwk, "x", 32);
    auto const y = bytes_of(jwk, "y", 32);
    if (!x || !y || x->size() != 32 || y->size() != 32)
        return nullptr;
    auto const point = "\x04" + *x + *y; // uncompressed
    param_builder parts{OSSL_PARAM_BLD_new(), &OSSL_PARAM_BLD_free};
    if (!parts ||
        OSSL_PARAM_BLD_push_utf8_string(parts.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
            1 ||
        OSSL_PARAM_BLD_push_octet_string(parts.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                         point.size()) != 1)
        return nullptr;
    auto key = key_from("EC", parts.get());
    if (!key)
        return nullptr;
    // A point off the curve would make every verification meaningless: checked once here.
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> check{
        EVP_PKEY_CTX_new(key.get(), nullptr), &EVP_PKEY_CTX_free};
    if (!check || EVP_PKEY_public_check(check.get()) != 1)
        return nullptr;
    return key;
}

pkey_ptr ed25519_key(json const& jwk)
{
    auto const x = bytes_of(jwk, "x", 32);
    if (!x || x->size() != 32)
        return nullptr;
    return {EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                        reinterpret_cast<unsigned char const*>(x->data()), 32),
            &EVP_PKEY_free};
}

bool alg_fits(std::string const& alg, jwt_key_type type)
{
    switch (type) {
    case jwt_key_type::rsa:
        return alg == "RS256" || alg == "PS256";
    case jwt_key_type::ec_p256:
        return alg == "ES256";
    case jwt_key_type::ed25519:
        return alg == "EdDSA";
    case jwt_key_type::hmac:
        break;
    }
    return false;
}

/** One JWK: a key, or why it is skipped (`skip`) or refused (the result's error). */
std::optional<std::string> read_jwk(json const& jwk, jwt_key& out, std::string& skip)
{
    if (!jwk.is_object())
        return "not an object";
    if (auto const* use = member(jwk, "use"); use && *use != "sig") {
        skip = "\"use\" is \"" + *use + "\", not \"sig\"";
        return std::nullopt;
    }
    auto const* kty = member(jwk, "kty");
    auto const* crv = member(jwk, "crv");
    if (!kty)
        return "no \"kty\"";
    pkey_ptr key;
    if (*kty == "RSA") {
        key = rsa_key(jwk);
    } else if (*kty == "EC" && crv && *crv == "P-256") {
        key = p256_key(jwk);
    } else if (*kty == "OKP" && crv && *crv == "Ed25519") {
        key = ed25519_key(jwk);
    } else {
        // A secret does not belong in a key set that may be published (auth.jwt.secret_file).
        skip = "unsupported key type \"" + *kty + (crv ? "\" (" + *crv + ")" : "\"");
        return std::nullopt;
    }
    if (!key)
        return "malformed " + *kty + " key";
    if (auto why = classify_public_key(key.get(), out.type))
        return why;
    out.public_key = std::move(key);
    if (jwk.contains("kid") && !member(jwk, "kid"))
        return "\"kid\" is not a string";
    if (auto const* kid = member(jwk, "kid"))
        out.kid = *kid;
    if (jwk.contains("alg")) {
        auto const* alg = member(jwk, "alg");
        if (!alg || !alg_fits(*alg, out.type))
            return "\"alg\" does not fit the key";
        out.alg = *alg;
    }
    return std::nullopt;
}

jwt_keys_result parse_jwks(std::string_view text)
{
    auto const doc = json::parse(text.begin(), text.end(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array())
        return refused(R"(not a JWKS document: expected {"keys":[...]})");
    auto keys = std::make_shared<jwt_keys>();
    std::vector<std::string> skipped;
    std::set<std::string> kids;
    auto const& list = doc["keys"];
    for (std::size_t i = 0; i < list.size(); ++i) {
        auto const where = "keys[" + std::to_string(i) + "]: ";
        jwt_key key;
        std::string skip;
        if (auto why = read_jwk(list[i], key, skip))
            return refused(where + *why);
        if (!skip.empty()) {
            skipped.push_back(where + skip + ": not used");
            continue;
        }
        if (!key.kid.empty() && !kids.insert(key.kid).second)
            return refused(where + "the kid \"" + key.kid + "\" is used twice");
        keys->keys.push_back(std::move(key));
    }
    if (keys->keys.empty())
        return refused("the JWKS holds no usable signing key");
    if (keys->keys.size() > 1 && kids.size() != keys->keys.size())
        return refused("with several keys each needs a \"kid\": a token names its key by it");
    keys->fingerprint = sha256_of(text);
    ERR_clear_error();
    return {std::move(keys), {}, std::move(skipped)};
}

jwt_keys_result parse_jwt_pem(std::string_view text)
{
    std::unique_ptr<BIO, decltype(&BIO_free)> bio{
        BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), &BIO_free};
    if (!bio)
        return refused("out of memory");
    std::shared_ptr<EVP_PKEY> key{PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr),
                                  &EVP_PKEY_free};
    if (!key)
        return refused("neither a PEM public key (-----BEGIN PUBLIC KEY-----) nor a JWKS "
                       "document ({\"keys\":[...]})");
    jwt_key entry;
    if (auto why = classify_public_key(key.get(), entry.type))
        return refused(std::move(*why));
    entry.public_key = std::move(key);
    auto keys = std::make_shared<jwt_keys>();
    keys->keys.push_back(std::move(entry));
    keys->fingerprint = sha256_of(text);
    ERR_clear_error();
    return {std::move(keys), {}, {}};
}

} // namespace

jwt_keys_result parse_jwt_public_keys(std::string_view text)
{
    auto const first = text.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && text[first] == '{')
        return parse_jwks(text);
    return parse_jwt_pem(text);
}

jwt_keys_result parse_jwt_secret(std::string_view text)
{
    if (text.ends_with('\n'))
        text.remove_suffix(1);
    if (text.ends_with('\r'))
        text.remove_suffix(1);
    // RFC 7518 §3.2: an HS256 key must be at least as long as the hash, 256 bits.
    if (text.size() < 32)
        return refused("an HS256 secret must hold at least 32 bytes, it holds " +
                       std::to_string(text.size()));
    auto keys = std::make_shared<jwt_keys>();
    keys->keys.push_back(jwt_key{{}, jwt_key_type::hmac, {}, nullptr, std::string(text)});
    keys->fingerprint = sha256_of(text);
    return {std::move(keys), {}, {}};
}

jwt_key const* jwt_keys::find(std::optional<std::string_view> kid) const
{
    // One key without a kid (a PEM key, a secret): the token's kid, if any, names nothing else.
    if (keys.size() == 1 && (!kid || keys.front().kid.empty()))
        return &keys.front();
    if (!kid)
        return nullptr;
    for (auto const& key : keys)
        if (!key.kid.empty() && key.kid == *kid)
            return &key;
    return nullptr;
}

} // namespace sse_server
