#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace sse_server::test {

/** An example of docs/examples/ that runs on Node with packages from npm, ready to start. */
struct node_example
{
    std::filesystem::path app_dir; // the copy holding the app and its node_modules
    std::string skip_reason;       // not empty: the example cannot be run here, and why
    std::string failure;           // not empty: npm failed with the registry in reach
};

/** Copies docs/examples/<name> (and notify.mjs beside it, which apps import) into
    `work_dir`/examples (a source tree keeps no node_modules) and installs its packages with
    `npm ci` from its package-lock.json; installed once per lock file, later runs reuse them.
    Safe to call from test processes running in parallel. */
node_example prepare_node_example(std::string const& name, std::filesystem::path const& work_dir);

/** "listening on http://127.0.0.1:41519": the port an example app printed, or 0. */
std::uint16_t port_printed(std::string const& output);

/** A whole file's bytes; empty when it cannot be read. */
std::string file_text(std::filesystem::path const& path);

} // namespace sse_server::test
