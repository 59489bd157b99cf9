#include "providers/ssh_common.h"

#include <cstdlib>
#include <mutex>

namespace jlrec {

void EnsureLibsshInitialized() {
  static std::once_flag once;
  std::call_once(once, [] { ssh_init(); });
}

void SetSshCallTimeout(ssh_session session, Deadline deadline) {
  long seconds = 0;
  long usec = std::max<long>(static_cast<long>(TimeLeft(deadline).count()) * 1000, 1000);
  ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &seconds);
  ssh_options_set(session, SSH_OPTIONS_TIMEOUT_USEC, &usec);
}

std::string SshError(ssh_session session) {
  const char* msg = ssh_get_error(session);
  return msg != nullptr && *msg != '\0' ? msg : "unknown error";
}

std::string ExpandHomePath(const std::string& path) {
  if (path.rfind("~/", 0) != 0) return path;
  const char* home = std::getenv("HOME");
  return home != nullptr ? std::string(home) + path.substr(1) : path;
}

}  // namespace jlrec
