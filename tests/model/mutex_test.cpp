// MutexLock's waits borrow the held std::mutex for a std::condition_variable: after a
// wakeup, a timeout or a throwing predicate, the lock must be held again exactly once, or
// the scope's end would unlock it twice or leave it locked.
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <stdexcept>
#include <thread>

#include "model/mutex.h"
#include "model/thread_annotations.h"

namespace jlrec {
namespace {

struct Flag {
  Mutex mu;
  std::condition_variable cv;
  bool set GUARDED_BY(mu) = false;
  int waits_woken GUARDED_BY(mu) = 0;
};

TEST_CASE("MutexLock::Wait returns once another thread sets the predicate", "[mutex]") {
  Flag flag;
  std::thread setter([&] {
    {
      MutexLock lock(flag.mu);
      flag.set = true;
    }
    flag.cv.notify_all();
  });
  {
    MutexLock lock(flag.mu);
    lock.Wait(flag.cv, [&]() REQUIRES(flag.mu) { return flag.set; });
    CHECK(flag.set);
    ++flag.waits_woken;  // still held: the write is ours alone
  }
  setter.join();
  MutexLock lock(flag.mu);  // released exactly once above, so free again
  CHECK(flag.waits_woken == 1);
}

TEST_CASE("MutexLock::WaitUntil and WaitFor answer false on a timeout, holding the lock",
          "[mutex]") {
  Flag flag;
  {
    MutexLock lock(flag.mu);
    CHECK_FALSE(lock.WaitUntil(flag.cv, std::chrono::steady_clock::now(),
                               [&]() REQUIRES(flag.mu) { return flag.set; }));
    CHECK_FALSE(lock.WaitFor(flag.cv, std::chrono::milliseconds(1),
                             [&]() REQUIRES(flag.mu) { return flag.set; }));
    flag.set = true;
    CHECK(
        lock.WaitFor(flag.cv, std::chrono::hours(1), [&]() REQUIRES(flag.mu) { return flag.set; }));
  }
  // Another thread gets the mutex: the scope above released it.
  std::thread other([&] {
    MutexLock lock(flag.mu);
    flag.set = false;
  });
  other.join();
  MutexLock lock(flag.mu);
  CHECK_FALSE(flag.set);
}

TEST_CASE("A predicate that throws leaves the mutex to its MutexLock", "[mutex]") {
  Flag flag;
  {
    MutexLock lock(flag.mu);
    CHECK_THROWS_AS(lock.Wait(flag.cv, []() -> bool { throw std::runtime_error("predicate"); }),
                    std::runtime_error);
    flag.set = true;
  }
  MutexLock lock(flag.mu);
  CHECK(flag.set);
}

}  // namespace
}  // namespace jlrec
