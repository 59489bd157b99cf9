// Image pulls during one apply: each image is fetched at most once per host, however many
// actions need it at the same time.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "model/mutex.h"
#include "model/provider.h"
#include "model/status.h"
#include "model/thread_annotations.h"

namespace jlrec {

/// A once-cell per (host, image). Thread-safe: the executor's workers share one.
class ImagePulls {
 public:
  /// Reports a step of the caller's action ("pull IMAGE", "wait for pull of IMAGE").
  using StepFn = std::function<void(const std::string&)>;

  /// Makes sure `image` is present on `provider`'s host. The first caller for that (host,
  /// image) asks HasImage and pulls if needed (counting the pull in `mutating_calls`);
  /// callers arriving meanwhile wait for that result; later callers get it at once. A
  /// failed pull is not retried within this apply: every action needing it fails with the
  /// registry's message.
  Status Ensure(Provider& provider, const std::string& image, const StepFn& on_step,
                std::atomic<std::uint64_t>& mutating_calls) EXCLUDES(mu_);

 private:
  struct Cell {
    // Not held during the check and pull: waiters only need the outcome.
    Mutex mu;
    std::condition_variable cv;           // notified (unlocked) once done
    bool claimed GUARDED_BY(mu) = false;  // someone is checking/pulling
    bool done GUARDED_BY(mu) = false;
    Status status GUARDED_BY(mu);
  };
  std::shared_ptr<Cell> CellFor(const std::string& host, const std::string& image) EXCLUDES(mu_);

  Mutex mu_;  // the map only; each cell has its own lock
  std::map<std::pair<std::string, std::string>, std::shared_ptr<Cell>> cells_ GUARDED_BY(mu_);
};

}  // namespace jlrec
