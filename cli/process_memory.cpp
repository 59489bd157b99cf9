#include "cli/process_memory.h"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

namespace jlrec::cli {

namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;
// The transparent huge page size on x86-64 and arm64 (4 KiB base pages).
constexpr std::uintptr_t kHugePage = 2 * kMiB;
// What the heap grows by past a request: one step covers a cached plan of 10,000 containers.
constexpr std::size_t kHeapStep = 64 * kMiB;

}  // namespace

void TuneProcessMemory() {
  // Blocks up to 64 MiB from the heap: above glibc's 128 KiB default, each decoded blob or
  // string buffer was a fresh mmap, faulted in page by page and unmapped when freed.
  mallopt(M_MMAP_THRESHOLD, static_cast<int>(kHeapStep));
  // Freed memory stays for the next allocation; the process is short-lived (`jlrec serve`
  // keeps at most this much more than it uses).
  mallopt(M_TRIM_THRESHOLD, static_cast<int>(2 * kHeapStep));
  mallopt(M_TOP_PAD, static_cast<int>(kHeapStep));
  // Grow the heap by one step now and ask for huge pages over it: the kernel then backs it
  // by 2 MiB pages as it is first touched (with THP "never", madvise is refused: no harm).
  void* probe = std::malloc(256 * 1024);
  if (probe == nullptr) return;
  const auto start = (reinterpret_cast<std::uintptr_t>(probe) + kHugePage - 1) & ~(kHugePage - 1);
  const auto end = reinterpret_cast<std::uintptr_t>(sbrk(0)) & ~(kHugePage - 1);
  // Only a block just below the break is the heap's: under a sanitizer's allocator (or a
  // heap moved to mmap) the probe lies elsewhere and nothing is advised.
  if (end > start && end - start <= 2 * kHeapStep)
    madvise(reinterpret_cast<void*>(start), end - start, MADV_HUGEPAGE);
  std::free(probe);
}

}  // namespace jlrec::cli
