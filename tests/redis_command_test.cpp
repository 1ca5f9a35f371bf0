// The command encoder: RESP arrays of bulk strings, counted, never scanned.
#include "sse_server/redis/redis_command.hpp"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <vector>

namespace sse_server {
namespace {

using namespace std::string_literals;

std::string encoded(std::vector<std::string> const& args)
{
    std::string out;
    append_redis_command(out, args);
    return out;
}

/** What hiredis, which Redis's own protocol tests trust, makes of the same arguments. */
std::string as_hiredis_encodes(std::vector<std::string> const& args)
{
    std::vector<char const*> argv;
    std::vector<std::size_t> lengths;
    for (auto const& a : args) {
        argv.push_back(a.data());
        lengths.push_back(a.size());
    }
    char* target = nullptr;
    auto const n = redisFormatCommandArgv(&target, static_cast<int>(args.size()), argv.data(),
                                          lengths.data());
    std::string text(target, static_cast<std::size_t>(n));
    free(target); // NOLINT(cppcoreguidelines-no-malloc): hiredis allocated it with malloc
    return text;
}

TEST(redis_command, a_command_is_an_array_of_bulk_strings)
{
    EXPECT_EQ(encoded({"GET", "sess:abc"}), "*2\r\n$3\r\nGET\r\n$8\r\nsess:abc\r\n");
    EXPECT_EQ(encoded({"PING"}), "*1\r\n$4\r\nPING\r\n");
}

TEST(redis_command, an_empty_argument_is_a_bulk_string_of_length_zero)
{
    EXPECT_EQ(encoded({"SET", "k", ""}), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
}

TEST(redis_command, any_bytes_pass_unchanged_because_they_are_counted)
{
    auto const binary = "a\r\nb\0c\xff"s;
    EXPECT_EQ(encoded({"SET", binary, "%s %b"}),
              "*3\r\n$3\r\nSET\r\n$7\r\n" + binary + "\r\n$5\r\n%s %b\r\n");
    EXPECT_EQ(encoded({"SET", binary, "%s %b"}), as_hiredis_encodes({"SET", binary, "%s %b"}));
}

TEST(redis_command, a_large_argument_is_counted_in_full)
{
    std::string const large(3 * 1024 * 1024 + 17, 'x');
    auto const text = encoded({"SET", "big", large});
    EXPECT_EQ(text, as_hiredis_encodes({"SET", "big", large}));
    EXPECT_NE(text.find("$3145745\r\n"), std::string::npos);
}

TEST(redis_command, commands_append_so_that_a_turn_leaves_in_one_write)
{
    std::string out;
    append_redis_command(out, {"GET", "a"});
    append_redis_command(out, {"GET", "b"});
    EXPECT_EQ(out, "*2\r\n$3\r\nGET\r\n$1\r\na\r\n*2\r\n$3\r\nGET\r\n$1\r\nb\r\n");
}

TEST(redis_command, many_arguments_are_counted)
{
    std::vector<std::string> args{"DEL"};
    for (int i = 0; i < 1000; ++i)
        args.push_back("k" + std::to_string(i));
    EXPECT_EQ(encoded(args), as_hiredis_encodes(args));
}

} // namespace
} // namespace sse_server
