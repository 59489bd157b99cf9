#include "providers/ssh_authenticate.h"

#include <cstdlib>
#include <memory>
#include <optional>
#include <vector>

#include "providers/ssh_common.h"

namespace jlrec {

namespace {

struct KeyFree {
  void operator()(ssh_key_struct* key) const { ssh_key_free(key); }
};

}  // namespace

Status AuthenticateSession(ssh_session session, const std::string& identity_file,
                           const std::string& peer, Deadline deadline) {
  std::vector<std::string> tried;
  // SSH_AUTH_ERROR may be local (no agent, unreadable key) or fatal (connection lost);
  // only the latter ends the attempts.
  auto verdict = [&](int rc, const std::string& method) -> std::optional<Status> {
    if (rc == SSH_AUTH_SUCCESS) return Status::Ok();
    if (rc == SSH_AUTH_PARTIAL) {
      tried.push_back(method + " (accepted, but the server wants a second factor)");
    } else if (rc == SSH_AUTH_ERROR) {
      tried.push_back(method + " (" + SshError(session) + ")");
    } else {
      tried.push_back(method);
    }
    if (Expired(deadline)) return Status::Unavailable(peer + ": timed out authenticating");
    if (rc == SSH_AUTH_ERROR && !ssh_is_connected(session))
      return Status::Unavailable(peer +
                                 ": connection lost while authenticating: " + SshError(session));
    return std::nullopt;
  };

  const char* agent = std::getenv("SSH_AUTH_SOCK");
  if (agent != nullptr && *agent != '\0') {
    SetSshCallTimeout(session, deadline);
    if (auto done = verdict(ssh_userauth_agent(session, nullptr), "ssh-agent")) return *done;
  }

  if (!identity_file.empty()) {
    const std::string path = ExpandHomePath(identity_file);
    ssh_key raw = nullptr;
    if (ssh_pki_import_privkey_file(path.c_str(), nullptr, nullptr, nullptr, &raw) != SSH_OK ||
        raw == nullptr) {
      tried.push_back("identity file " + path +
                      " (cannot be read: missing, unreadable, or passphrase-protected; load "
                      "such keys into ssh-agent)");
    } else {
      std::unique_ptr<ssh_key_struct, KeyFree> key(raw);
      SetSshCallTimeout(session, deadline);
      if (auto done =
              verdict(ssh_userauth_publickey(session, nullptr, key.get()), "identity file " + path))
        return *done;
    }
  }

  SetSshCallTimeout(session, deadline);
  if (auto done = verdict(ssh_userauth_publickey_auto(session, nullptr, nullptr),
                          "default keys (~/.ssh/id_*, IdentityFile)"))
    return *done;

  std::string list;
  for (const auto& t : tried) list += (list.empty() ? "" : ", ") + t;
  return Status::Unavailable(peer + ": authentication refused (tried: " + list + ")");
}

}  // namespace jlrec
