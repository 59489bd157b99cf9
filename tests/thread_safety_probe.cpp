// Not built by CMake: `scripts/thread-safety-check.sh --probe BUILD_DIR` compiles it with the
// very flags the check uses on the tree, to prove the check bites. Each `expected-error` line
// below breaks a lock contract the way a real change could; clang must reject it, and (in
// its -verify mode) reject exactly those lines: the correct code next to them passes.
#include <condition_variable>
#include <memory>

#include "model/mutex.h"
#include "model/thread_annotations.h"

namespace jlrec {
namespace {

class Counter {
 public:
  void Add() EXCLUDES(mu_) {
    MutexLock lock(mu_);
    ++value_;
  }

  void AddUnlocked() {
    // expected-error@+1 {{writing variable 'value_' requires holding mutex 'mu_' exclusively}}
    ++value_;
  }

  int ReadUnlocked() const {
    // expected-error@+1 {{reading variable 'value_' requires holding mutex 'mu_'}}
    return value_;
  }

  void CallsHelperUnlocked() {
    // expected-error@+1 {{calling function 'AddLocked' requires holding mutex 'mu_'}}
    AddLocked();
  }

  void LocksTwice() {
    MutexLock lock(mu_);
    // expected-error@+1 {{cannot call function 'Add' while mutex 'mu_' is held}}
    Add();
  }

  void WaitsRight() EXCLUDES(mu_) {
    MutexLock lock(mu_);
    lock.Wait(cv_, [&]() REQUIRES(mu_) { return value_ > 0; });
  }

  void WaitsWithUnannotatedPredicate() {
    MutexLock lock(mu_);
    // expected-error@+1 {{reading variable 'value_' requires holding mutex 'mu_'}}
    lock.Wait(cv_, [&] { return value_ > 0; });
  }

  void UsesValueAfterDroppingTheLock() {
    MutexLock lock(mu_);
    mu_.Unlock();
    // expected-error@+1 {{writing variable 'value_' requires holding mutex 'mu_' exclusively}}
    ++value_;
    mu_.Lock();
  }

 private:
  void AddLocked() REQUIRES(mu_) { ++value_; }

  Mutex mu_;
  std::condition_variable cv_;
  int value_ GUARDED_BY(mu_) = 0;
};

// A guard in another object, as SshChannelStream's members are guarded by their session's.
struct Session {
  Mutex mu;
};

class Channel {
 public:
  void CloseLocked() {
    MutexLock lock(session_->mu);
    open_ = false;
  }

  void CloseUnlocked() {
    // expected-error@+1 {{writing variable 'open_' requires holding mutex 'session_->mu'}}
    open_ = false;
  }

 private:
  const std::shared_ptr<Session> session_ = std::make_shared<Session>();
  bool open_ GUARDED_BY(session_->mu) = true;
};

}  // namespace
}  // namespace jlrec
