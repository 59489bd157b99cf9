#include "engine/scoped_lock.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <utility>

#include "model/lock_holder.h"

namespace jlrec {

ScopedLock::ScopedLock(ScopedLock&& other) noexcept
    : store_(std::exchange(other.store_, nullptr)), info_(std::move(other.info_)) {}

ScopedLock& ScopedLock::operator=(ScopedLock&& other) noexcept {
  if (this != &other) {
    Release();
    store_ = std::exchange(other.store_, nullptr);
    info_ = std::move(other.info_);
  }
  return *this;
}

Status ScopedLock::Acquire(StateStore& store, const std::string& name, double timeout_s,
                           const LockOwner& who) {
  Release();
  info_ = LockInfo{};
  info_.name = name;
  info_.owner = who.owner;
  info_.pid = who.pid;
  info_.hostname = who.hostname;
  info_.since = std::time(nullptr);
  auto got =
      store.AcquireLock(info_, std::chrono::milliseconds(static_cast<long>(timeout_s * 1000)));
  if (!got.ok()) return got.status();
  if (got->has_value())
    // Both backends: SQLite took the lock over from a dead pid of this machine; PostgreSQL's
    // server had freed it when the holder's session ended, leaving its row behind.
    spdlog::warn("took the {} lock: its previous holder is gone ({})", name,
                 DescribeLockHolder(**got));
  store_ = &store;
  return Status::Ok();
}

void ScopedLock::Release() {
  if (store_) {
    Status released = store_->ReleaseLock(info_.name, info_.pid);
    if (!released.ok())
      spdlog::warn("could not release the {} lock: {}", info_.name, released.message());
  }
  store_ = nullptr;
}

}  // namespace jlrec
