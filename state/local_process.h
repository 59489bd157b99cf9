// Facts about this control machine that lock ownership is judged by.
#pragma once

#include <cstdint>
#include <string>

namespace jlrec {

/// This machine's hostname (gethostname), "localhost" if it cannot be read.
std::string LocalHostname();

/// "user@hostname" for the effective user of this process.
std::string LocalOwnerName();

/// True only when process `pid` surely does not exist on THIS machine (kill(pid, 0) fails
/// with ESRCH, or the pid is not a valid process id). A process of another user (EPERM) or
/// any other doubt counts as alive, so a live lock is never stolen.
bool ProcessIsGoneOnThisMachine(std::int64_t pid);

/// The current time in unix seconds.
std::int64_t UnixNow();

}  // namespace jlrec
