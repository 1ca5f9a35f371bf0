#include "sse_server/config/config.hpp"
#include "sse_server/log/memory_event_log.hpp"
#include "sse_server/notify/notify_handler.hpp"
#include "sse_server/ops/metrics.hpp"
#include "sse_server/stream/registry.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sse_server {
namespace {

class notify_handler_test : public ::testing::Test
{
protected:
    notify_handler_test() { cfg_.notify.token = "s3cret"; }

    static http::request<http::string_body> request(http::verb method, std::string target,
                                                    std::string authorization = "",
                                                    std::string body = "")
    {
        http::request<http::string_body> req{method, target, 11};
        if (!authorization.empty())
            req.set(http::field::authorization, authorization);
        req.body() = std::move(body);
        return req;
    }

    /** The answer, whether it is given at once or later. */
    notify_answer handle(http::request<http::string_body> const& req)
    {
        std::optional<notify_answer> later;
        auto now = handler_.handle(req, std::chrono::steady_clock::now(), false,
                                   [&](notify_answer a) { later = std::move(a); });
        if (now) {
            EXPECT_FALSE(later) << "answered twice";
            return *now;
        }
        // Readiness is checked by the callback below, which answers from within; a revalidation
        // answers from the loop.
        if (!later) {
            ioc_.restart();
            ioc_.poll();
        }
        EXPECT_TRUE(later) << "no answer";
        return later.value_or(notify_answer{});
    }

    config cfg_;
    metrics stats_;
    memory_event_log log_{replay_config{}, [](event const&) { return std::size_t{0}; }};
    bool ready_ = true;
    net::io_context ioc_; // run by no thread: poll() ends a turn of the loop
    registry streams_{"user"};
    notify_handler handler_{cfg_, log_, streams_, stats_,
                            [this](auto verdict) {
                                if (ready_)
                                    return verdict(std::nullopt);
                                verdict(not_ready_reason{not_ready_cause::redis_unavailable,
                                                         "redis unavailable: connection refused "
                                                         "by 10.1.2.3:6379"});
                            },
                            [this](auto users, auto done) {
                                revalidated_.push_back(users);
                                net::post(ioc_, [this, done] { done(bus_fault_); });
                            },
                            ioc_};
    std::vector<std::vector<std::string>> revalidated_; // what each revalidation asked for
    std::optional<std::string> bus_fault_;             // what the revalidations answer
};

TEST_F(notify_handler_test, the_token_is_checked_from_the_header_with_any_case_of_bearer)
{
    for (auto const* good : {"Bearer s3cret", "bearer s3cret", "BEARER\ts3cret"})
        EXPECT_FALSE(handler_.check_header(request(http::verb::post, "/notify", good), true))
            << good;
    for (auto const* bad : {"", "Bearer wrong", "Basic s3cret", "Bearers3cret", "Bearer"}) {
        auto refusal = handler_.check_header(request(http::verb::post, "/notify", bad), true);
        ASSERT_TRUE(refusal) << bad;
        EXPECT_EQ(refusal->status, http::status::unauthorized);
    }
    EXPECT_FALSE(handler_.check_header(request(http::verb::get, "/metrics"), false))
        << "health, readiness and metrics stay open";
    EXPECT_NE(stats_.render().find(R"(sse_server_notify_requests_refused_total{status="401"} 5)"),
              std::string::npos)
        << stats_.render();
}

TEST_F(notify_handler_test, routes_answer_404_and_405_with_the_allowed_method)
{
    EXPECT_EQ(handle(request(http::verb::get, "/nope")).status, http::status::not_found);
    auto wrong = handle(request(http::verb::get, "/notify"));
    EXPECT_EQ(wrong.status, http::status::method_not_allowed);
    EXPECT_EQ(wrong.allow, "POST");
    EXPECT_EQ(handle(request(http::verb::post, "/healthz")).allow, "GET");
    EXPECT_EQ(handle(request(http::verb::get, "/healthz?x=1")).body, "ok");
    EXPECT_EQ(handle(request(http::verb::get, "/readyz")).status, http::status::ok);
    ready_ = false;
    auto not_ready = handle(request(http::verb::get, "/readyz"));
    EXPECT_EQ(not_ready.status, http::status::service_unavailable);
    EXPECT_EQ(not_ready.body, "redis unavailable") << "the detail is for the log, not the port";
}

TEST_F(notify_handler_test, only_a_notification_with_its_token_has_its_body_read)
{
    struct probe
    {
        http::verb method;
        char const* target;
        char const* authorization;
        bool body_follows;
        std::optional<unsigned> status; // empty: the request goes on, its body read
    };
    for (auto const& p : {
             probe{http::verb::post, "/notify", "Bearer s3cret", true, std::nullopt},
             probe{http::verb::post, "/notify", "", true, 401},
             probe{http::verb::post, "/notify", "", false, 401},
             probe{http::verb::post, "/healthz", "Bearer s3cret", true, 405},
             probe{http::verb::put, "/notify", "Bearer s3cret", true, 405},
             probe{http::verb::post, "/elsewhere", "", true, 404},
             probe{http::verb::get, "/metrics", "", true, 400},
             probe{http::verb::get, "/metrics", "", false, std::nullopt},
             probe{http::verb::post, "/healthz", "", false, std::nullopt}, // 405, once read
         }) {
        auto const refusal =
            handler_.check_header(request(p.method, p.target, p.authorization), p.body_follows);
        ASSERT_EQ(refusal.has_value(), p.status.has_value()) << p.target;
        if (refusal) {
            EXPECT_EQ(static_cast<unsigned>(refusal->status), *p.status) << p.target;
        }
    }
    auto const allowed =
        handler_.check_header(request(http::verb::put, "/notify", "Bearer s3cret"), true);
    ASSERT_TRUE(allowed);
    EXPECT_EQ(allowed->allow, "POST");
}

TEST_F(notify_handler_test, scrapes_in_one_turn_of_the_loop_share_one_rendering)
{
    auto const first = handle(request(http::verb::get, "/metrics")).body;
    stats_.events_delivered = 12345;
    EXPECT_EQ(handle(request(http::verb::get, "/metrics")).body, first) << "the same turn";
    ioc_.poll();
    EXPECT_NE(handle(request(http::verb::get, "/metrics"))
                  .body.find("\nsse_server_events_delivered_total 12345\n"),
              std::string::npos)
        << "the next turn renders again";
}

TEST_F(notify_handler_test, a_connection_beyond_the_cap_gets_503_counted_by_port)
{
    auto const refusal = handler_.refuse_connection();
    EXPECT_EQ(refusal.status, http::status::service_unavailable);
    EXPECT_EQ(refusal.retry_after, 1u);
    EXPECT_EQ(stats_.admin_connections_refused.get("notify"), 1u);
    EXPECT_EQ(stats_.admin_connections_refused.get("metrics"), 0u);
}

TEST_F(notify_handler_test, the_metrics_port_answers_health_readiness_and_metrics_only)
{
    notify_handler health_only{cfg_,
                               log_,
                               streams_,
                               stats_,
                               [](auto verdict) { verdict(std::nullopt); },
                               {},
                               ioc_,
                               notify_routes::health_only};
    auto const answer = [&](http::verb method, std::string target, std::string body = "") {
        auto const req = request(method, std::move(target), "Bearer s3cret", std::move(body));
        EXPECT_FALSE(health_only.check_header(req, false)) << "no token asked where /notify is not";
        std::optional<notify_answer> later;
        auto now = health_only.handle(req, std::chrono::steady_clock::now(), false,
                                      [&](notify_answer a) { later = std::move(a); });
        return now ? *now : later.value_or(notify_answer{});
    };
    auto const before = log_.newest();
    auto const with_body = health_only.check_header(
        request(http::verb::post, "/notify", "Bearer s3cret", "{}"), true);
    ASSERT_TRUE(with_body) << "a body is refused from the header: there is no /notify here";
    EXPECT_EQ(with_body->status, http::status::not_found);
    auto posted = answer(http::verb::post, "/notify", R"({"name":"a","type":"t","id":1})");
    EXPECT_EQ(posted.status, http::status::not_found);
    EXPECT_EQ(nlohmann::json::parse(posted.body).at("error"), "no such endpoint");
    EXPECT_EQ(log_.newest(), before) << "nothing is published";
    EXPECT_EQ(answer(http::verb::get, "/notify").status, http::status::not_found);
    EXPECT_EQ(answer(http::verb::post, "/revalidate", R"({"users":["7"]})").status,
              http::status::not_found);
    EXPECT_EQ(answer(http::verb::get, "/healthz").body, "ok");
    EXPECT_EQ(answer(http::verb::get, "/readyz").body, "ready");
    EXPECT_EQ(answer(http::verb::get, "/metrics").status, http::status::ok);
}

TEST_F(notify_handler_test, a_revalidation_names_each_user_once_and_answers_how_many)
{
    auto const accepted = handle(request(http::verb::post, "/revalidate", "Bearer s3cret",
                                         R"({"users":["7",7,"alice","7"]})"));
    EXPECT_EQ(accepted.status, http::status::accepted);
    EXPECT_EQ(accepted.body, R"({"users":2})");
    ASSERT_EQ(revalidated_.size(), 1u);
    EXPECT_EQ(revalidated_[0], (std::vector<std::string>{"7", "alice"}));

    EXPECT_EQ(handle(request(http::verb::post, "/revalidate", "Bearer s3cret", "{}")).body,
              R"({"users":0})")
        << "no users: nothing to check";
    bus_fault_ = "connection refused";
    auto const unavailable = handle(
        request(http::verb::post, "/revalidate", "Bearer s3cret", R"({"users":["7"]})"));
    EXPECT_EQ(unavailable.status, http::status::service_unavailable);
    EXPECT_EQ(unavailable.retry_after, 1u);
}

TEST_F(notify_handler_test, a_malformed_revalidation_is_a_400_naming_the_fault_and_checks_nobody)
{
    std::vector<std::pair<std::string, std::string>> const cases{
        {"not json", "body: invalid JSON"},
        {"[]", "body: must be an object"},
        {R"({"users":"7"})", "users: must be an array"},
        {R"({"users":[{"id":7}]})", "users[0]: must be a string or an integer"},
        {R"({"users":["7",null]})", "users[1]: must be a string or an integer"},
        {R"({"users":["7"],"groups":["a"]})", "groups: unknown member (users only)"}};
    for (auto const& [body, error] : cases) {
        auto const refused =
            handle(request(http::verb::post, "/revalidate", "Bearer s3cret", body));
        EXPECT_EQ(refused.status, http::status::bad_request) << body;
        EXPECT_EQ(nlohmann::json::parse(refused.body).at("error"), error) << body;
    }
    EXPECT_TRUE(revalidated_.empty());
    EXPECT_NE(stats_.render().find(R"(sse_server_notify_requests_refused_total{status="400"} 6)"),
              std::string::npos);
}

TEST_F(notify_handler_test, a_revalidation_needs_the_token_and_a_post)
{
    auto refusal = handler_.check_header(request(http::verb::post, "/revalidate", ""), true);
    ASSERT_TRUE(refusal) << "refused before its body is read";
    EXPECT_EQ(refusal->status, http::status::unauthorized);
    EXPECT_FALSE(handler_.check_header(
        request(http::verb::post, "/revalidate", "Bearer s3cret"), true));
    auto get = handle(request(http::verb::get, "/revalidate", "Bearer s3cret"));
    EXPECT_EQ(get.status, http::status::method_not_allowed);
    EXPECT_EQ(get.allow, "POST");
    EXPECT_TRUE(revalidated_.empty());
}

TEST_F(notify_handler_test, a_valid_batch_is_published_and_an_invalid_one_changes_nothing)
{
    auto const before = log_.newest();
    auto bad = handle(request(http::verb::post, "/notify", "",
                              R"([{"name":"a","type":"t","id":1},{"name":"b"}])"));
    EXPECT_EQ(bad.status, http::status::bad_request);
    EXPECT_NE(bad.body.find("[1].type"), std::string::npos) << bad.body;
    EXPECT_EQ(log_.newest(), before) << "nothing of a refused batch is published";
    auto good =
        handle(request(http::verb::post, "/notify", "",
                       R"([{"name":"a","type":"t","id":1},{"name":"b","type":"t","id":2}])"));
    EXPECT_EQ(good.status, http::status::accepted);
    auto const body = nlohmann::json::parse(good.body);
    EXPECT_EQ(body.size(), 3u) << good.body;
    EXPECT_EQ(body.at("accepted"), 2);
    EXPECT_EQ(body.at("recipients"), 0);
    auto const ids = body.at("ids");
    ASSERT_EQ(ids.size(), 2u) << good.body;
    auto const first = event_id::parse(ids[0].get<std::string>());
    auto const second = event_id::parse(ids[1].get<std::string>());
    ASSERT_TRUE(first && second) << good.body;
    EXPECT_LT(before, *first);
    EXPECT_LT(*first, *second);
    EXPECT_EQ(*second, log_.newest()) << "the ids are the events' ids, in order";
}

TEST_F(notify_handler_test, metrics_show_the_bytes_kept_for_resumes)
{
    EXPECT_NE(handle(request(http::verb::get, "/metrics")).body.find("\nsse_server_replay_bytes 0\n"),
              std::string::npos);
    ASSERT_EQ(handle(request(http::verb::post, "/notify", "",
                             R"({"name":"a","type":"t","id":1})"))
                  .status,
              http::status::accepted);
    auto const kept = log_.history_bytes();
    EXPECT_GT(kept, 0u);
    ioc_.poll(); // a scrape of a later turn
    EXPECT_NE(handle(request(http::verb::get, "/metrics"))
                  .body.find("\nsse_server_replay_bytes " + std::to_string(kept) + "\n"),
              std::string::npos);
}

/** A log that answers later, as one that waits for Redis does, or cannot append at all. */
class waiting_log : public event_log
{
public:
    std::optional<append_result> append(std::vector<notification> const& items,
                                        later<append_result> done) override
    {
        appended = items.size();
        pending = std::move(done);
        return std::nullopt;
    }
    event_id newest() const override { return {}; }
    std::optional<resume> resume_point(std::string_view, later<resume>) override
    {
        return resume{};
    }
    std::optional<replay_batch> read_after(event_id, filter const&, std::size_t,
                                           later<replay_batch>) override
    {
        return replay_batch{};
    }
    void expire() override {}
    std::size_t history_bytes() const override { return 0; }

    std::size_t appended = 0;
    later<append_result> pending;
};

TEST(notify_handler, answers_once_the_log_has_appended_and_503_when_it_cannot)
{
    config cfg;
    metrics stats;
    waiting_log log;
    net::io_context ioc;
    registry streams{"user"};
    notify_handler handler{cfg, log, streams, stats, nullptr, nullptr, ioc};
    http::request<http::string_body> req{http::verb::post, "/notify", 11};
    req.body() = R"([{"name":"a","type":"t","id":1},{"name":"b","type":"t","id":2}])";

    std::optional<notify_answer> answer;
    auto later = [&](notify_answer a) { answer = std::move(a); };
    EXPECT_FALSE(handler.handle(req, std::chrono::steady_clock::now(), false, later));
    EXPECT_EQ(log.appended, 2u);
    EXPECT_FALSE(answer) << "no 202 before the log acknowledged";
    log.pending(event_log::append_result{{"5-0", "5-1"}, std::nullopt, std::nullopt});
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, http::status::accepted);
    EXPECT_EQ(answer->body, R"({"accepted":2,"ids":["5-0","5-1"]})")
        << "no recipients: other daemons deliver";

    answer.reset();
    EXPECT_FALSE(handler.handle(req, std::chrono::steady_clock::now(), false, later));
    log.pending(event_log::append_result{{}, std::nullopt, "connection refused"});
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, http::status::service_unavailable);
    EXPECT_NE(answer->body.find("connection refused"), std::string::npos) << answer->body;
    std::string bytes;
    append_answer(bytes, *answer, 11, true);
    EXPECT_NE(bytes.find("\r\nRetry-After: 1\r\n"), std::string::npos) << bytes;
    EXPECT_NE(stats.render().find(R"(sse_server_notifications_total{result="unavailable"} 2)"),
              std::string::npos)
        << stats.render();
}

TEST(notify_answer, bytes_carry_length_connection_and_allow)
{
    notify_answer a;
    a.status = http::status::method_not_allowed;
    a.body = "{}";
    a.allow = "GET";
    std::string out;
    append_answer(out, a, 11, false);
    EXPECT_EQ(out, "HTTP/1.1 405 Method Not Allowed\r\nServer: sse-server\r\n"
                   "Content-Type: application/json\r\nAllow: GET\r\nConnection: close\r\n"
                   "Content-Length: 2\r\n\r\n{}");
    out.clear();
    append_answer(out, notify_answer{}, 10, true);
    EXPECT_NE(out.find("HTTP/1.0 200 OK\r\n"), std::string::npos);
    EXPECT_NE(out.find("Connection: keep-alive\r\n"), std::string::npos);
}

} // namespace
} // namespace sse_server
