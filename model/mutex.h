// A mutex and its scoped lock that clang's thread-safety analysis can follow
// (model/thread_annotations.h): libstdc++'s std::mutex and std::lock_guard carry no
// capability attributes, so GUARDED_BY(a std::mutex) would never be checked. These wrap
// them and add nothing at run time: a lock, an unlock, the same condition variable waits.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <utility>

#include "model/thread_annotations.h"

namespace jlrec {

/// A non-recursive mutex (std::mutex) the analysis knows as a capability. Lock it through
/// MutexLock; Lock/Unlock directly only to drop a held mutex for a while inside a function
/// that REQUIRES it (and retake it before returning).
class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  /// Blocks until this thread holds the mutex. The thread must not hold it already.
  void Lock() ACQUIRE() { mu_.lock(); }
  /// Releases the mutex, which this thread holds.
  void Unlock() RELEASE() { mu_.unlock(); }

 private:
  friend class MutexLock;  // condition variable waits need the std::mutex itself
  std::mutex mu_;
};

/// Holds a Mutex from construction to destruction (std::lock_guard), and can wait on a
/// std::condition_variable meanwhile (std::unique_lock's waits). Each wait releases the mutex
/// while blocked and returns holding it again; its `ready` predicate always runs with the
/// mutex held, so a lambda reading guarded members says so: `[&]() REQUIRES(mu_) {...}`.
class SCOPED_CAPABILITY MutexLock {
 public:
  /// Locks `mu` (blocking) for this object's lifetime.
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.Lock(); }
  /// Unlocks the mutex.
  ~MutexLock() RELEASE() { mu_.Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  /// Waits on `cv` until `ready()` is true (checked first, and after every wakeup).
  template <typename Predicate>
  void Wait(std::condition_variable& cv, Predicate ready) {
    Borrowed lock(mu_.mu_);
    cv.wait(lock.lock, std::move(ready));
  }

  /// Waits on `cv` until `ready()` is true or `deadline` passes; returns `ready()`'s last
  /// answer (false: timed out).
  template <typename Clock, typename Duration, typename Predicate>
  bool WaitUntil(std::condition_variable& cv,
                 const std::chrono::time_point<Clock, Duration>& deadline, Predicate ready) {
    Borrowed lock(mu_.mu_);
    return cv.wait_until(lock.lock, deadline, std::move(ready));
  }

  /// Waits on `cv` until `ready()` is true or `timeout` has elapsed; returns `ready()`'s last
  /// answer (false: timed out).
  template <typename Rep, typename Period, typename Predicate>
  bool WaitFor(std::condition_variable& cv, const std::chrono::duration<Rep, Period>& timeout,
               Predicate ready) {
    Borrowed lock(mu_.mu_);
    return cv.wait_for(lock.lock, timeout, std::move(ready));
  }

 private:
  // The std::unique_lock a condition variable wants, over the mutex this object already
  // holds: it adopts the lock and hands it back without unlocking, whatever happens. The
  // mutex is held whenever `ready` could throw (it runs locked), which is what ~MutexLock
  // then unlocks.
  struct Borrowed {
    explicit Borrowed(std::mutex& mu) : lock(mu, std::adopt_lock) {}
    ~Borrowed() { lock.release(); }
    Borrowed(const Borrowed&) = delete;
    Borrowed& operator=(const Borrowed&) = delete;
    std::unique_lock<std::mutex> lock;
  };

  Mutex& mu_;
};

}  // namespace jlrec
