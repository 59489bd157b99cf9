// A closable multi-producer, multi-consumer FIFO: how the executor's scheduler hands jobs
// to its workers and how workers hand results back.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

namespace jlrec {

/// A FIFO whose Pop blocks until an item arrives or the queue is closed. Thread-safe.
template <typename T>
class BlockingQueue {
 public:
  /// Appends `item` and wakes one waiting consumer. Items pushed after Close() are dropped.
  void Push(T item) {
    {
      std::lock_guard lock(mu_);
      if (closed_) return;
      items_.push_back(std::move(item));
    }
    cv_.notify_one();
  }

  /// The oldest item, waiting for one; nullopt once the queue is closed and drained.
  std::optional<T> Pop() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return closed_ || !items_.empty(); });
    return TakeLocked();
  }

  /// The oldest item, waiting at most `timeout`; nullopt on timeout or when closed and
  /// drained.
  template <typename Rep, typename Period>
  std::optional<T> PopFor(std::chrono::duration<Rep, Period> timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return closed_ || !items_.empty(); });
    return TakeLocked();
  }

  /// Wakes every consumer; Pop returns what is left, then nullopt.
  void Close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::optional<T> TakeLocked() {
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<T> items_;
  bool closed_ = false;
};

}  // namespace jlrec
