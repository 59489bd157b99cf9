// Host-key verification against known_hosts, with OpenSSH's policy: known key ok, new key
// refused unless accepting new keys was asked for, changed key always refused.
#pragma once

#include <libssh/libssh.h>

#include <string>

#include "model/status.h"

namespace jlrec {

/// "SHA256:<base64>" fingerprint of `key`, as OpenSSH prints it ("" if it cannot be made).
std::string Sha256Fingerprint(ssh_key key);

/// Checks the key presented by connected `session` (host, port and known_hosts file set
/// on it) and, if it is unknown and `accept_new`, records it. kUnavailable when refused,
/// with a message naming the fingerprints involved and what to do. `peer` names the host
/// in messages.
Status VerifyHostKey(ssh_session session, const std::string& peer, bool accept_new);

}  // namespace jlrec
