// A lock in the state store held for the length of a run: apply and rollback take
// "apply:PROJECT", drift takes "drift:PROJECT", whichever front end runs them.
#pragma once

#include <cstdint>
#include <string>

#include "model/state_store.h"
#include "model/status.h"

namespace jlrec {

/// Who takes a lock: what its holders are told when they meet it.
struct LockOwner {
  std::string owner;     ///< "user@machine"
  std::int64_t pid = 0;  ///< the process on `hostname`
  std::string hostname;  ///< the control machine
};

/// A lock held by this process until Release() or destruction. The store must outlive it:
/// declare it after the store it locks. Taking over a dead holder's lock is logged.
class ScopedLock {
 public:
  ScopedLock() = default;
  ScopedLock(ScopedLock&& other) noexcept;
  ScopedLock& operator=(ScopedLock&& other) noexcept;
  ScopedLock(const ScopedLock&) = delete;
  ScopedLock& operator=(const ScopedLock&) = delete;
  ~ScopedLock() { Release(); }
  /// Takes lock `name` in `store` for `who`, waiting up to `timeout_s` seconds; kConflict
  /// naming the holder when it stays held.
  [[nodiscard]] Status Acquire(StateStore& store, const std::string& name, double timeout_s,
                               const LockOwner& who);
  /// Releases the lock if held; idempotent.
  void Release();
  /// True while held.
  bool held() const { return store_ != nullptr; }

 private:
  StateStore* store_ = nullptr;  // null when not held
  LockInfo info_;
};

}  // namespace jlrec
