// What the tests must know of the sanitizer build (`make sanitize-build`): the same tests run
// there, but a memory bound means nothing under AddressSanitizer.
#pragma once

#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#define JLREC_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JLREC_TEST_UNDER_ASAN 1
#endif
#endif

namespace jlrec::testing {

#ifdef JLREC_TEST_UNDER_ASAN
inline constexpr bool kUnderAddressSanitizer = true;
#else
inline constexpr bool kUnderAddressSanitizer = false;
#endif

/// Whether `bytes` of peak memory are under `bound`; always true under AddressSanitizer,
/// whose quarantine keeps freed blocks (256 MiB by default) and whose redzones pad every
/// one: the release build's run of the same test checks the bound.
inline bool WithinMemoryBound(std::size_t bytes, std::size_t bound) {
  return kUnderAddressSanitizer || bytes < bound;
}

}  // namespace jlrec::testing
