#include "sse_server/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>

namespace sse_server {

namespace {

/** `%*`: the message as the contents of a JSON string (quotes, backslashes and control
    characters escaped), so that a JSON log line stays one valid object whatever is logged. */
class json_escaped_message : public spdlog::custom_flag_formatter
{
public:
    void format(spdlog::details::log_msg const& msg, std::tm const&,
                spdlog::memory_buf_t& dest) override
    {
        for (char c : std::string_view(msg.payload.data(), msg.payload.size())) {
            switch (c) {
            case '"': dest.append(std::string_view("\\\"")); break;
            case '\\': dest.append(std::string_view("\\\\")); break;
            case '\n': dest.append(std::string_view("\\n")); break;
            case '\r': dest.append(std::string_view("\\r")); break;
            case '\t': dest.append(std::string_view("\\t")); break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buf[8];
                    auto const n = std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    dest.append(buf, buf + n);
                } else {
                    dest.push_back(c);
                }
            }
        }
    }

    std::unique_ptr<custom_flag_formatter> clone() const override
    {
        return std::make_unique<json_escaped_message>();
    }
};

} // namespace

void setup_logging(log_config const& cfg)
{
    auto const level = spdlog::level::from_str(cfg.level);
    if (level == spdlog::level::off && cfg.level != "off")
        throw config_error("log.level: unknown level \"" + cfg.level + "\"");

    auto logger = std::make_shared<spdlog::logger>(
        "sse-server", std::make_shared<spdlog::sinks::stdout_sink_mt>());
    if (cfg.format == log_format::json) {
        auto formatter = std::make_unique<spdlog::pattern_formatter>(
            spdlog::pattern_time_type::utc, std::string("\n"));
        formatter->add_flag<json_escaped_message>('*').set_pattern(
            R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%*"})");
        logger->set_formatter(std::move(formatter));
    } else {
        logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %l %v");
    }
    logger->set_level(level);
    // Lines go out as they are written: a daemon's log must not lag behind a crash.
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(std::move(logger));
}

} // namespace sse_server
