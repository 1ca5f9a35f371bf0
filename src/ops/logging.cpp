#include "sse_server/ops/logging.hpp"

#include <cstdio>
#include <memory>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace sse_server {

namespace {

bool in(unsigned char byte, unsigned char low, unsigned char high)
{
    return byte >= low && byte <= high;
}

// The length of the well-formed UTF-8 sequence at the start of `text` (RFC 3629, Unicode
// table 3-7), 0 when there is none: the second byte's range is what excludes overlong forms,
// surrogates and code points above U+10FFFF.
std::size_t utf8_sequence_length(std::string_view text)
{
    auto const byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    auto const lead = byte(0);
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xbf;
    if (in(lead, 0xc2, 0xdf))
        length = 2;
    else if (in(lead, 0xe0, 0xef))
        length = 3;
    else if (in(lead, 0xf0, 0xf4))
        length = 4;
    else
        return 0;
    if (lead == 0xe0)
        low = 0xa0;
    else if (lead == 0xed)
        high = 0x9f;
    else if (lead == 0xf0)
        low = 0x90;
    else if (lead == 0xf4)
        high = 0x8f;
    if (text.size() < length || !in(byte(1), low, high))
        return 0;
    for (std::size_t i = 2; i < length; ++i)
        if (!in(byte(i), 0x80, 0xbf))
            return 0;
    return length;
}

/** `%*`: the message as the contents of a JSON string, so that a JSON log line stays one valid
    object whatever is logged. */
class json_escaped_message : public spdlog::custom_flag_formatter
{
public:
    void format(spdlog::details::log_msg const& msg, std::tm const&,
                spdlog::memory_buf_t& dest) override
    {
        std::string escaped;
        append_json_escaped(std::string_view(msg.payload.data(), msg.payload.size()), escaped);
        dest.append(escaped.data(), escaped.data() + escaped.size());
    }

    std::unique_ptr<custom_flag_formatter> clone() const override
    {
        return std::make_unique<json_escaped_message>();
    }
};

/** `%*` in journal lines: the sd-daemon priority prefix ("<4>" for a warning), from which
    journald takes the line's priority (`journalctl -p warning`). */
class journal_priority : public spdlog::custom_flag_formatter
{
public:
    void format(spdlog::details::log_msg const& msg, std::tm const&,
                spdlog::memory_buf_t& dest) override
    {
        // syslog(3) levels: 2 critical, 3 error, 4 warning, 6 info, 7 debug.
        char const* prefix = "<6>";
        switch (msg.level) {
        case spdlog::level::trace:
        case spdlog::level::debug:
            prefix = "<7>";
            break;
        case spdlog::level::warn:
            prefix = "<4>";
            break;
        case spdlog::level::err:
            prefix = "<3>";
            break;
        case spdlog::level::critical:
            prefix = "<2>";
            break;
        default:
            break;
        }
        dest.append(prefix, prefix + 3);
    }

    std::unique_ptr<custom_flag_formatter> clone() const override
    {
        return std::make_unique<journal_priority>();
    }
};

/** `%~` in journal lines: the message on one line. journald reads one entry per line of its
    stream, so a newline inside a message (a client's header, say) would start an entry of
    its own, without priority: control characters are written as `\xNN`. */
class journal_message : public spdlog::custom_flag_formatter
{
public:
    void format(spdlog::details::log_msg const& msg, std::tm const&,
                spdlog::memory_buf_t& dest) override
    {
        for (char const c : std::string_view(msg.payload.data(), msg.payload.size())) {
            auto const byte = static_cast<unsigned char>(c);
            if (byte >= 0x20 && byte != 0x7f) {
                dest.push_back(c);
                continue;
            }
            char buf[8];
            auto const n = std::snprintf(buf, sizeof buf, "\\x%02x", unsigned{byte});
            dest.append(buf, buf + n);
        }
    }

    std::unique_ptr<custom_flag_formatter> clone() const override
    {
        return std::make_unique<journal_message>();
    }
};

} // namespace

void append_json_escaped(std::string_view text, std::string& out)
{
    while (!text.empty()) {
        auto const c = static_cast<unsigned char>(text.front());
        std::size_t used = 1;
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                char buf[8];
                auto const n = std::snprintf(buf, sizeof buf, "\\u%04x", unsigned{c});
                out.append(buf, static_cast<std::size_t>(n));
            } else if (c < 0x80) {
                out += static_cast<char>(c);
            } else if (auto const length = utf8_sequence_length(text); length > 0) {
                out.append(text.substr(0, length));
                used = length;
            } else {
                // A JSON text must be UTF-8 (RFC 8259): one replacement per byte that is not.
                out += "\\ufffd";
            }
        }
        text.remove_prefix(used);
    }
}

void setup_logging(log_config const& cfg)
{
    setup_logging(cfg, std::make_shared<spdlog::sinks::stdout_sink_mt>());
}

namespace {

/** Sets the level and the line format of `logger`, keeping its sinks. */
void configure(spdlog::logger& logger, log_config const& cfg)
{
    auto const level = spdlog::level::from_str(cfg.level);
    if (level == spdlog::level::off && cfg.level != "off")
        throw config_error("log.level: unknown level \"" + cfg.level + "\"");
    if (cfg.format == log_format::json) {
        auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc,
                                                                     std::string("\n"));
        formatter->add_flag<json_escaped_message>('*').set_pattern(
            R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%*"})");
        logger.set_formatter(std::move(formatter));
    } else if (cfg.format == log_format::journal) {
        auto formatter = std::make_unique<spdlog::pattern_formatter>();
        formatter->add_flag<journal_priority>('*').add_flag<journal_message>('~').set_pattern(
            "%*%~");
        logger.set_formatter(std::move(formatter));
    } else {
        logger.set_pattern("%Y-%m-%d %H:%M:%S.%e %l %v");
    }
    logger.set_level(level);
}

} // namespace

void setup_logging(log_config const& cfg, std::shared_ptr<spdlog::sinks::sink> sink)
{
    auto logger = std::make_shared<spdlog::logger>("sse-server", std::move(sink));
    configure(*logger, cfg);
    // Lines go out as they are written: a daemon's log must not lag behind a crash.
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(std::move(logger));
}

void reconfigure_logging(log_config const& cfg)
{
    configure(*spdlog::default_logger(), cfg);
}

} // namespace sse_server
