// The /run.sh files an apply wrote, for the refresh that records the result.
#pragma once

#include <memory>
#include <string>

#include "engine/refresh.h"
#include "model/mutex.h"
#include "model/thread_annotations.h"

namespace jlrec {

/// Scripts written during one apply, by container id, with the stat key read right after
/// the upload. Thread-safe: every action runner records into the same ledger.
class ScriptLedger {
 public:
  /// Notes that container `container_id`'s /run.sh now has stat key `stat` and content
  /// digest `digest`. An empty `stat` (unknown, or a symlink) is ignored.
  void Record(const std::string& container_id, const std::string& stat, const std::string& digest)
      EXCLUDES(mu_);
  /// `base` with every recorded entry added (a recorded entry wins over `base`'s).
  std::shared_ptr<const KnownScripts> MergedOver(const KnownScripts& base) const EXCLUDES(mu_);

 private:
  mutable Mutex mu_;
  KnownScripts written_ GUARDED_BY(mu_);
};

}  // namespace jlrec
