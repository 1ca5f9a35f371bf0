// sse-bench: the load generator of sse-server. See README.md beside this file.
#include "api_keys.hpp"
#include "bench_run.hpp"
#include "hook_app.hpp"
#include "options.hpp"
#include "report.hpp"

#include <exception>
#include <iostream>
#include <sys/resource.h>

namespace sse_server::bench {

namespace {

// Each stream is one descriptor: raise the soft limit as far as the hard one allows, and
// refuse at once a run that could not open its streams anyway.
std::optional<std::string> ensure_descriptors(std::size_t streams)
{
    constexpr std::size_t spare = 64; // notifier, Redis, stdio, epoll
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return std::nullopt;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
        getrlimit(RLIMIT_NOFILE, &limit);
    }
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < streams + spare)
        return "--connections " + std::to_string(streams) + " needs " +
               std::to_string(streams + spare) + " file descriptors; the limit is " +
               std::to_string(limit.rlim_cur);
    return std::nullopt;
}

int run(std::vector<std::string> const& args)
{
    auto const parsed = parse_options(args);
    if (parsed.help) {
        std::cout << usage();
        return 0;
    }
    if (parsed.error) {
        std::cerr << "sse-bench: " << *parsed.error << "\n\n" << usage();
        return 2;
    }
    auto const& o = parsed.opts;
    if (o.serve_hook)
        return serve_hook(o);
    if (auto const problem = ensure_descriptors(o.connections)) {
        std::cerr << "sse-bench: " << *problem << "\n";
        return 2;
    }
    if (auto const problem = create_api_keys(o)) {
        std::cerr << "sse-bench: " << *problem << "\n";
        return 1;
    }

    net::io_context ioc(1);
    bench_run bench(ioc, o);
    bench.start();
    ioc.run();

    auto const r = bench.result();
    std::cout << summary_line(r) << '\n' << json_line(r) << std::endl;
    return r.ok() ? 0 : 1;
}

} // namespace

} // namespace sse_server::bench

int main(int argc, char** argv)
{
    try {
        return sse_server::bench::run(std::vector<std::string>(argv + 1, argv + argc));
    } catch (std::exception const& e) {
        std::cerr << "sse-bench: " << e.what() << "\n";
        return 1;
    }
}
