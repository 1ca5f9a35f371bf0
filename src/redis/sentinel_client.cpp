#include "sse_server/redis/sentinel_client.hpp"

#include "sse_server/redis/redis_command.hpp"

#include <spdlog/spdlog.h>
#include <utility>

namespace sse_server {

namespace {

using kind = redis_reply::kind;

constexpr std::string_view switch_channel = "+switch-master";
// After every sentinel was tried, the next round of listening waits this long.
constexpr milliseconds listen_round{1000};

/** A sentinel without a password answers AUTH with this: the connection is usable anyway. */
bool is_no_password_error(redis_reply const& r)
{
    return r.type == kind::error &&
           r.text.find("without any password configured") != std::string::npos;
}

} // namespace

sentinel_client::sentinel_client(net::io_context& ioc, redis_config const& cfg, std::string user,
                                 std::string role)
    : ioc_(ioc), cfg_(cfg), user_(std::move(user)), role_(std::move(role)), relisten_(ioc)
{
}

sentinel_client::~sentinel_client()
{
    stop();
}

void sentinel_client::stop()
{
    stopped_ = true;
    relisten_.cancel();
    if (asking_)
        asking_->close();
    if (listening_)
        listening_->close();
    asking_.reset();
    listening_.reset();
    done_ = nullptr;
}

std::string sentinel_client::commands(std::initializer_list<std::string_view> command) const
{
    std::string out;
    auto const& password = cfg_.url.password;
    if (!password.empty()) {
        if (user_.empty())
            append_redis_command(out, {"AUTH", password});
        else
            append_redis_command(out, {"AUTH", user_, password});
    }
    append_redis_command(out, command);
    return out;
}

// --- where is the master --------------------------------------------------------------------

void sentinel_client::async_master(std::function<void(lookup)> done)
{
    if (asking_)
        asking_->close();
    asking_.reset();
    stopped_ = false;
    done_ = std::move(done);
    outcomes_.clear();
    unknown_ = false;
    ask(0);
}

void sentinel_client::ask(std::size_t index)
{
    auto const& sentinels = cfg_.url.sentinels;
    if (index >= sentinels.size()) {
        auto const& master = cfg_.url.master;
        lookup failed{std::nullopt,
                      unknown_ ? "no sentinel knows the master " + master + " (" + outcomes_ + ")"
                               : "no sentinel answered for the master " + master + " (" +
                                     outcomes_ + ")"};
        auto done = std::move(done_);
        done_ = nullptr;
        asking_.reset();
        if (done)
            done(std::move(failed));
        return;
    }
    auth_error_.reset();
    bool const authenticates = !cfg_.url.password.empty();
    asking_ = std::make_shared<sentinel_link>(
        ioc_, sentinels[index], commands({"SENTINEL", "get-master-addr-by-name", cfg_.url.master}),
        sentinel_link::handlers{
            [this, index, authenticates](redis_reply reply) {
                if (authenticates && !auth_error_) {
                    auth_error_ = is_no_password_error(reply) || reply.type != kind::error
                                      ? std::string()
                                      : reply.text;
                    return;
                }
                on_answer(index, std::move(reply));
            },
            [this, index](std::string error) { ask_next(index, std::move(error)); }});
    asking_->start(cfg_.timeout);
}

void sentinel_client::on_answer(std::size_t index, redis_reply reply)
{
    auto answer = read_master_answer(reply);
    switch (answer.type) {
    case master_answer::kind::address: {
        asking_->close();
        asking_.reset();
        auto done = std::move(done_);
        done_ = nullptr;
        if (done)
            done(lookup{std::move(answer.master), {}});
        return;
    }
    case master_answer::kind::unknown:
        unknown_ = true;
        asking_->close();
        return ask_next(index, "does not know it");
    case master_answer::kind::refused:
        asking_->close();
        // A refused AUTH explains the NOAUTH that follows it.
        return ask_next(index, auth_error_ && !auth_error_->empty() ? *auth_error_ : answer.error);
    }
}

void sentinel_client::ask_next(std::size_t index, std::string outcome)
{
    outcomes_ +=
        (outcomes_.empty() ? "" : "; ") + address_text(cfg_.url.sentinels[index]) + ": " + outcome;
    ask(index + 1);
}

// --- listening for a switch -----------------------------------------------------------------

void sentinel_client::watch(std::function<void(host_port const& to)> on_switch)
{
    stopped_ = false;
    on_switch_ = std::move(on_switch);
    listen(0);
}

void sentinel_client::listen(std::size_t index)
{
    if (stopped_)
        return;
    bool const authenticates = !cfg_.url.password.empty();
    listening_ = std::make_shared<sentinel_link>(
        ioc_, cfg_.url.sentinels[index], commands({"SUBSCRIBE", switch_channel}),
        sentinel_link::handlers{
            [this, index, authenticates, answered = false](redis_reply reply) mutable {
                if (authenticates && !answered) {
                    answered = true; // AUTH's reply: the SUBSCRIBE's tells the outcome
                    return;
                }
                on_message(index, reply);
            },
            [this, index](std::string const& error) { on_listen_ended(index, error); }});
    listening_->start(cfg_.timeout);
}

void sentinel_client::on_message(std::size_t index, redis_reply const& reply)
{
    auto const& sentinel = cfg_.url.sentinels[index];
    if (reply.type == kind::error)
        return on_listen_ended(index, reply.text);
    if (reply.type != kind::array || reply.elements.size() != 3)
        return;
    auto const& what = reply.elements[0].text;
    if (what == "subscribe") {
        listening_->settle(); // from now on it waits on purpose
        listen_errors_.clear();
        spdlog::info("redis {} ({}): listening for {} on sentinel {}", redis_location(cfg_.url),
                     role_, switch_channel, address_text(sentinel));
        return;
    }
    if (what != "message")
        return;
    auto const change = read_master_switch(reply.elements[2].text);
    if (!change || change->name != cfg_.url.master)
        return;
    spdlog::warn("redis {} ({}): the master moved from {} to {} (sentinel {})",
                 redis_location(cfg_.url), role_, address_text(change->from),
                 address_text(change->to), address_text(sentinel));
    if (on_switch_)
        on_switch_(change->to);
}

void sentinel_client::on_listen_ended(std::size_t index, std::string const& error)
{
    if (listening_)
        listening_->close();
    listening_.reset();
    if (stopped_)
        return;
    auto const& sentinels = cfg_.url.sentinels;
    // Once per sentinel and reason, not once per round over them.
    auto line = address_text(sentinels[index]) + ": " + error;
    if (listen_errors_.insert(line).second)
        spdlog::warn("redis {} ({}): cannot listen for {} on sentinel {}, trying the next",
                     redis_location(cfg_.url), role_, switch_channel, line);
    auto const next = (index + 1) % sentinels.size();
    // A round over every sentinel is followed by a pause, never a busy loop.
    relisten_.expires_after(next == 0 ? listen_round : milliseconds{0});
    relisten_.async_wait([this, next](error_code ec) {
        if (!ec)
            listen(next);
    });
}

} // namespace sse_server
