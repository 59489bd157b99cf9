// The one wording of "who holds this lock", for every backend and command that names a
// holder (a refused apply, `jlrec unlock`, serve's API).
#pragma once

#include <string>

#include "model/state_store.h"

namespace jlrec {

/// What lock `name` ("apply:<project>", "drift:<project>") guards, in words: "apply
/// product"; a name without a colon is returned as it is.
std::string LockPurpose(const std::string& name);

/// "locked by alice@ops2 pid 4242 on ops2 since 2026-12-02T10:02:13Z for apply product".
std::string DescribeLockHolder(const LockInfo& holder);

}  // namespace jlrec
