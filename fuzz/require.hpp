#pragma once

#include <cstdio>

/** Stops the fuzzer on a broken invariant, naming it: libFuzzer then saves the input. A macro
    because the condition's own text is the clearest name (and clang 14 has no
    std::source_location). */
#define FUZZ_REQUIRE(condition)                                                                    \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #condition); \
            __builtin_trap();                                                                      \
        }                                                                                          \
    } while (false)
