#include "sse_server/config/config_jwt.hpp"

#include "sse_server/config/config_secret_files.hpp"
#include "sse_server/config/jwt_keys.hpp"

#include <algorithm>

namespace sse_server {

std::string_view auth_method_name(auth_method method)
{
    switch (method) {
    case auth_method::api_key:
        return "api_key";
    case auth_method::session:
        return "session";
    case auth_method::jwt:
        return "jwt";
    case auth_method::hook:
        break;
    }
    return "hook";
}

void auth_methods_in(config& c, setting const& value)
{
    std::vector<auth_method> methods;
    auto const names = value.texts();
    for (std::size_t i = 0; i < names.size(); ++i) {
        auto const& name = names[i];
        auto const item = "item " + std::to_string(i) + ": ";
        auth_method method{};
        if (name == "api_key")
            method = auth_method::api_key;
        else if (name == "session")
            method = auth_method::session;
        else if (name == "jwt")
            method = auth_method::jwt;
        else if (name == "hook")
            method = auth_method::hook;
        else
            value.fail(item + R"(expected "api_key", "session", "jwt" or "hook", got )" +
                       in_quotes(name));
        if (std::find(methods.begin(), methods.end(), method) != methods.end())
            value.fail(item + in_quotes(name) + " is listed twice");
        methods.push_back(method);
    }
    if (methods.empty())
        value.fail("must name at least one way in: no stream could ever open");
    c.auth.methods = std::move(methods);
}

namespace {

void keys_in(config& c, setting const& value, jwt_keys_result result)
{
    if (!result.keys)
        value.fail(in_quotes(value.text()) + ": " + result.error);
    for (auto const& skipped : result.skipped)
        c.warnings.push_back(value.about(in_quotes(value.text()) + ": " + skipped));
    c.auth.jwt.keys = std::move(result.keys);
}

} // namespace

void jwt_key_file_in(config& c, setting const& value)
{
    if (value.text().empty())
        return;
    keys_in(c, value, parse_jwt_public_keys(file_text_in(c, value, false)));
    c.auth.jwt.key_file = value.text();
}

void jwt_secret_file_in(config& c, setting const& value)
{
    if (value.text().empty())
        return;
    // A secret next to a public key would let the token choose HS256 against it.
    if (!c.auth.jwt.key_file.empty())
        value.fail("set auth.jwt.key_file or auth.jwt.secret_file, not both");
    keys_in(c, value, parse_jwt_secret(file_text_in(c, value, true)));
    c.auth.jwt.secret_file = value.text();
}

std::string optional_claim_name_in(setting const& value)
{
    auto const name = value.text();
    auto const control = [](char ch) {
        return static_cast<unsigned char>(ch) < 0x20 || ch == '\x7f';
    };
    if (std::any_of(name.begin(), name.end(), control))
        value.fail("a claim name holds no control characters");
    return name;
}

std::string claim_name_in(setting const& value)
{
    auto name = optional_claim_name_in(value);
    if (name.empty())
        value.fail(R"(expected a claim name such as "sub", got "")");
    return name;
}

void check_auth_methods(config& c)
{
    auto const& auth = c.auth;
    if (auth.allows(auth_method::jwt) && !auth.jwt.keys)
        throw config_error(R"(auth.methods: "jwt" needs auth.jwt.key_file or )"
                           "auth.jwt.secret_file (the keys that verify tokens)");
    if (!auth.allows(auth_method::jwt) && auth.jwt.keys)
        c.warnings.push_back(R"(auth.jwt: keys are set but "jwt" is not in auth.methods: )"
                             "tokens are not accepted");
    // A method that is listed must never be silently skipped.
    if (auth.allows(auth_method::hook) && auth.hook.url.empty())
        throw config_error(R"(auth.methods: "hook" needs auth.hook.url (where the app answers, )"
                           R"(e.g. "http://127.0.0.1:3000/sse/auth"))");
    if (!auth.allows(auth_method::hook) && !auth.hook.url.empty())
        c.warnings.push_back(R"(auth.hook.url: set but "hook" is not in auth.methods: the hook )"
                             "is never asked");
    if (auth.allows(auth_method::jwt) && auth.allows(auth_method::session) &&
        auth.jwt.cookie == auth.session.cookie)
        throw config_error("auth.jwt.cookie: must differ from auth.session.cookie (" +
                           in_quotes(auth.session.cookie) + ")");
}

} // namespace sse_server
