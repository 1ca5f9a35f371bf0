// sse-server: arguments -> configuration -> server. Everything else lives in the library.
#include "sse_server/config/config.hpp"
#include "sse_server/config/config_report.hpp"
#include "sse_server/ops/health_probe.hpp"
#include "sse_server/ops/logging.hpp"
#include "sse_server/ops/process_limits.hpp"
#include "sse_server/server.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

namespace {

constexpr char const* usage = R"(usage: sse-server [--config FILE] [--check-config | --health]
       sse-server --version | --help

Server-Sent-Events daemon: keeps an SSE stream open to every logged-in client and pushes the
database changes its API POSTs to the clients that subscribed to them.

  --config FILE    TOML configuration (every key documented in config/sse-server.toml);
                   without it, the defaults. SSE_SERVER_<SECTION>_<KEY> variables override.
  --check-config   load and validate the configuration, print the settings in force
                   (secrets redacted), exit
  --health         ask the running daemon's /healthz (the port this configuration gives it);
                   exit 0 when it answers 200 within 2 s (a container's HEALTHCHECK)
  --version        print the version and exit
  --help           print this help and exit
)";

struct arguments
{
    std::optional<std::string> config_path;
    bool check_only = false;
    bool health = false;
};

} // namespace

int main(int argc, char** argv)
{
    arguments args;
    for (int i = 1; i < argc; ++i) {
        std::string_view const arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            // A failed write to stdout or stderr has nowhere to be reported: ignored on purpose.
            (void)std::fputs(usage, stdout);
            return EXIT_SUCCESS;
        }
        if (arg == "--version") {
            std::printf("sse-server %s\n", SSE_SERVER_VERSION);
            return EXIT_SUCCESS;
        }
        if (arg == "--check-config") {
            args.check_only = true;
        } else if (arg == "--health") {
            args.health = true;
        } else if (arg == "--config" && i + 1 < argc) {
            args.config_path = argv[++i];
        } else if (arg.starts_with("--config=")) {
            args.config_path = std::string(arg.substr(9));
        } else {
            (void)std::fprintf(stderr, "sse-server: unknown argument \"%s\"\n%s", argv[i], usage);
            return 2;
        }
    }

    try {
        sse_server::refuse_unknown_variables(sse_server::process_environment_names());
        auto const env = sse_server::process_environment();
        auto const load = [&] {
            return args.config_path ? sse_server::load_config(*args.config_path, env)
                                    : sse_server::parse_config("", env);
        };
        auto cfg = load();
        if (args.health) {
            std::string problem;
            auto const where = sse_server::health_address(cfg);
            if (sse_server::probe_health(where, std::chrono::seconds(2), problem)) {
                std::printf("healthy\n");
                return EXIT_SUCCESS;
            }
            (void)std::fprintf(stderr, "sse-server: %s port %u: unhealthy: %s\n",
                               where.host.c_str(), unsigned{where.port}, problem.c_str());
            return EXIT_FAILURE;
        }
        if (args.check_only) {
            std::printf("%s\n# configuration OK\n",
                        sse_server::effective_config_text(cfg).c_str());
            for (auto const& warning : cfg.warnings)
                (void)std::fprintf(stderr, "sse-server: warning: %s\n", warning.c_str());
            auto const open_files = sse_server::raise_open_file_limit();
            if (auto const warning = sse_server::descriptor_warning(
                    cfg.limits.max_connections, open_files,
                    sse_server::descriptors_kept_from_clients(cfg, open_files)))
                (void)std::fprintf(stderr, "sse-server: warning: %s\n", warning->c_str());
            return EXIT_SUCCESS;
        }
        sse_server::setup_logging(cfg.log);
        for (auto const& warning : cfg.warnings)
            spdlog::warn("{}", warning);
        auto const open_files = sse_server::raise_open_file_limit();
        spdlog::info("open file limit: {}", open_files);
        if (auto const warning = sse_server::descriptor_warning(
                cfg.limits.max_connections, open_files,
                sse_server::descriptors_kept_from_clients(cfg, open_files)))
            spdlog::warn("{}", *warning);
        sse_server::server daemon{std::move(cfg), true, load};
        return daemon.run() ? EXIT_SUCCESS : EXIT_FAILURE;
    } catch (sse_server::config_error const& e) {
        (void)std::fprintf(stderr, "sse-server: configuration error: %s\n", e.what());
    } catch (std::exception const& e) {
        (void)std::fprintf(stderr, "sse-server: cannot start: %s\n", e.what());
    }
    return EXIT_FAILURE;
}
