// Lock contracts the compiler checks: which mutex guards a member, which a function needs
// held or must not hold. Under clang with -Wthread-safety (scripts/thread-safety-check.sh)
// a violation is a warning; elsewhere (the g++ build) the macros expand to nothing, so they
// cost nothing and change nothing. The names are leveldb's (port/thread_annotations.h),
// after clang's documentation (clang.llvm.org/docs/ThreadSafetyAnalysis.html).
//
// A "capability" is a lock (see model/mutex.h); every macro taking one takes an expression
// naming it, e.g. `mu_`, `session_->mu_`.
#pragma once

#if defined(__clang__)
#define JLREC_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define JLREC_THREAD_ANNOTATION(x)  // g++ has no thread-safety analysis
#endif

/// On a data member: reading it needs `x` held (shared or exclusive), writing it needs `x`
/// held exclusively.
#ifndef GUARDED_BY
#define GUARDED_BY(x) JLREC_THREAD_ANNOTATION(guarded_by(x))
#endif

/// On a pointer (or smart pointer) member: what it points to is guarded by `x`; the pointer
/// itself is not.
#ifndef PT_GUARDED_BY
#define PT_GUARDED_BY(x) JLREC_THREAD_ANNOTATION(pt_guarded_by(x))
#endif

/// On a function: the caller must hold every capability listed, exclusively; the function
/// does not release them (it may drop and retake one in between).
#ifndef REQUIRES
#define REQUIRES(...) JLREC_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#endif

/// On a function: the caller must hold every capability listed, at least shared.
#ifndef REQUIRES_SHARED
#define REQUIRES_SHARED(...) JLREC_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
#endif

/// On a function: the caller must not hold any capability listed (the function takes it;
/// std::mutex is not recursive).
#ifndef EXCLUDES
#define EXCLUDES(...) JLREC_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#endif

/// On a function: it acquires the capabilities listed (none listed: its own object, for a
/// lock type's Lock() or a scoped lock's constructor) and returns holding them.
#ifndef ACQUIRE
#define ACQUIRE(...) JLREC_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#endif

/// On a function: it releases the capabilities listed (none listed: its own object, or for a
/// scoped lock's destructor whatever the scoped lock holds).
#ifndef RELEASE
#define RELEASE(...) JLREC_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#endif

/// On a function returning bool: it acquires the capabilities listed when it returns `b`
/// (the first argument), and nothing otherwise.
#ifndef TRY_ACQUIRE
#define TRY_ACQUIRE(...) JLREC_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#endif

/// On a class: its objects are capabilities (locks); `x` names the kind in messages
/// ("mutex").
#ifndef CAPABILITY
#define CAPABILITY(x) JLREC_THREAD_ANNOTATION(capability(x))
#endif

/// On a class: an RAII object that holds the capabilities its constructor acquires until
/// its destructor.
#ifndef SCOPED_CAPABILITY
#define SCOPED_CAPABILITY JLREC_THREAD_ANNOTATION(scoped_lockable)
#endif

/// On a function: it returns (a reference to) capability `x`, so a lock taken through the
/// result counts as `x`.
#ifndef RETURN_CAPABILITY
#define RETURN_CAPABILITY(x) JLREC_THREAD_ANNOTATION(lock_returned(x))
#endif

/// On a function: its body is not checked. Only for code the analysis cannot follow (the
/// lock primitives themselves); say why at each use.
#ifndef NO_THREAD_SAFETY_ANALYSIS
#define NO_THREAD_SAFETY_ANALYSIS JLREC_THREAD_ANNOTATION(no_thread_safety_analysis)
#endif
