// A closable multi-producer, multi-consumer FIFO: how the executor's scheduler hands jobs
// to its workers and how workers hand results back.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <optional>
#include <utility>

#include "model/mutex.h"
#include "model/thread_annotations.h"

namespace jlrec {

/// A FIFO whose Pop blocks until an item arrives or the queue is closed. Thread-safe.
template <typename T>
class BlockingQueue {
 public:
  /// Appends `item` and wakes one waiting consumer. Items pushed after Close() are dropped.
  void Push(T item) EXCLUDES(mu_) {
    {
      MutexLock lock(mu_);
      if (closed_) return;
      items_.push_back(std::move(item));
    }
    cv_.notify_one();
  }

  /// The oldest item, waiting for one; nullopt once the queue is closed and drained.
  std::optional<T> Pop() EXCLUDES(mu_) {
    MutexLock lock(mu_);
    lock.Wait(cv_, [&]() REQUIRES(mu_) { return closed_ || !items_.empty(); });
    return TakeLocked();
  }

  /// The oldest item, waiting at most `timeout`; nullopt on timeout or when closed and
  /// drained.
  template <typename Rep, typename Period>
  std::optional<T> PopFor(std::chrono::duration<Rep, Period> timeout) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    lock.WaitFor(cv_, timeout, [&]() REQUIRES(mu_) { return closed_ || !items_.empty(); });
    return TakeLocked();
  }

  /// Wakes every consumer; Pop returns what is left, then nullopt.
  void Close() EXCLUDES(mu_) {
    {
      MutexLock lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::optional<T> TakeLocked() REQUIRES(mu_) {
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

  Mutex mu_;
  std::condition_variable cv_;  // notified (unlocked) on Push and Close
  std::deque<T> items_ GUARDED_BY(mu_);
  bool closed_ GUARDED_BY(mu_) = false;
};

}  // namespace jlrec
