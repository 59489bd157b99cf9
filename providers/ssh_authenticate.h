// Public-key authentication of an SSH session, in the order OpenSSH users expect.
#pragma once

#include <libssh/libssh.h>

#include <string>

#include "model/status.h"
#include "providers/deadline.h"

namespace jlrec {

/// Authenticates connected `session`: ssh-agent (if SSH_AUTH_SOCK is set), then
/// `identity_file` (if not empty; unencrypted or agent-loaded keys only), then the default
/// keys and the ssh config's IdentityFiles. Each step is bounded by `deadline`. kUnavailable
/// naming what was tried when the server accepts none. `peer` names the host in messages.
/// Never asks for a passphrase: a passphrase-protected key, wherever it was named, is listed
/// as such with the ssh-agent hint. Leaves a passphrase-refusing auth callback on `session`.
Status AuthenticateSession(ssh_session session, const std::string& identity_file,
                           const std::string& peer, Deadline deadline);

}  // namespace jlrec
