// Small libssh helpers shared by the SSH connection, host-key and authentication code.
#pragma once

#include <libssh/libssh.h>

#include <string>

#include "providers/deadline.h"

namespace jlrec {

/// Initialises libssh once per process (std::call_once); call before any libssh use.
void EnsureLibsshInitialized();

/// Bounds the next blocking libssh call on `session` by `deadline` (at least 1 ms).
/// The caller must hold whatever lock serialises use of `session`.
void SetSshCallTimeout(ssh_session session, Deadline deadline);

/// libssh's last error message for `session` ("unknown error" if it has none).
std::string SshError(ssh_session session);

/// `path` with a leading "~/" replaced by $HOME.
std::string ExpandHomePath(const std::string& path);

}  // namespace jlrec
