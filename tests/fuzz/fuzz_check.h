// What every fuzz target shares: a property check that fails loudly. libFuzzer records an
// input that makes a target abort() as a crash, exactly like a sanitizer report, so a broken
// property ("decodes, but re-encodes to other bytes") is found, minimised and kept the same way.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

/// Aborts with `what` and the source line when `condition` is false (in every build type:
/// a fuzz build may define NDEBUG).
#define FUZZ_CHECK(condition, what)                                                \
  do {                                                                             \
    if (!(condition)) ::jlrec::fuzz::Fail(__FILE__, __LINE__, #condition, (what)); \
  } while (false)

namespace jlrec::fuzz {

[[noreturn]] inline void Fail(const char* file, int line, const char* condition,
                              std::string_view what) {
  std::fprintf(stderr, "%s:%d: fuzz property failed: %s\n  %.*s\n", file, line, condition,
               static_cast<int>(what.size()), what.data());
  std::abort();
}

}  // namespace jlrec::fuzz
