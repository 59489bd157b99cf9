// How the jlrec process asks the C library and the kernel for memory.
#pragma once

namespace jlrec::cli {

/// Tunes the main thread's heap for jlrec's pattern: a command builds tens of megabytes of
/// short-lived objects (a cached plan of 10,000 containers decodes ~8 MB of state into ~60 MB
/// of specs and snapshots) and exits. Large blocks come from the heap rather than from a fresh
/// mmap each, freed memory is kept for reuse, and the heap is backed by transparent huge pages
/// where the kernel offers them (mode "madvise" or "always"). Page faults were over a third of
/// a cached plan's time on a paravirtualized host; a fault per 2 MiB instead of per 4 KiB
/// takes most of that out. Call once, first thing in main(); harmless where unsupported.
void TuneProcessMemory();

}  // namespace jlrec::cli
