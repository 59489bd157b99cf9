#include "providers/ssh_authenticate.h"

#include <libssh/callbacks.h>

#include <algorithm>
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

// The keys that asked for a passphrase while authenticating, in order, without repeats.
struct PassphrasePrompts {
  ssh_session session = nullptr;
  std::string importing;  // the identity_file being read by us ("" while libssh reads keys)
  std::vector<std::string> keys;
};

// jlrec never asks for a passphrase: it runs unattended, and without a callback libssh lets
// OpenSSL prompt on the terminal for a PEM key. Refusing makes the key unreadable, which is
// then reported with the ssh-agent hint; recording says which key it was.
int RefusePassphrase(const char* /*prompt*/, char* /*buf*/, size_t /*len*/, int /*echo*/,
                     int /*verify*/, void* userdata) {
  auto* prompts = static_cast<PassphrasePrompts*>(userdata);
  if (prompts == nullptr) return -1;
  std::string key = prompts->importing;
  if (key.empty()) {
    // An IdentityFile of the ssh config or a default key, read by publickey_auto.
    char* current = nullptr;
    if (ssh_userauth_publickey_auto_get_current_identity(prompts->session, &current) == SSH_OK) {
      key = current;
      ssh_string_free_char(current);
    }
  }
  if (!key.empty() &&
      std::find(prompts->keys.begin(), prompts->keys.end(), key) == prompts->keys.end()) {
    prompts->keys.push_back(key);
  }
  return -1;
}

// The callbacks a session keeps once authenticated: libssh cannot unset callbacks, and the
// recording ones point into AuthenticateSession's frame. These refuse without recording.
ssh_callbacks_struct* RefusingCallbacks() {
  static ssh_callbacks_struct callbacks = [] {
    ssh_callbacks_struct c{};
    ssh_callbacks_init(&c);
    c.auth_function = RefusePassphrase;
    return c;
  }();
  return &callbacks;
}

// Records passphrase prompts on `session` while it lives.
class PassphraseRecorder {
 public:
  explicit PassphraseRecorder(ssh_session session) : session_(session) {
    prompts_.session = session;
    callbacks_ = ssh_callbacks_struct{};
    ssh_callbacks_init(&callbacks_);
    callbacks_.userdata = &prompts_;
    callbacks_.auth_function = RefusePassphrase;
    ssh_set_callbacks(session_, &callbacks_);
  }
  ~PassphraseRecorder() { ssh_set_callbacks(session_, RefusingCallbacks()); }
  PassphraseRecorder(const PassphraseRecorder&) = delete;
  PassphraseRecorder& operator=(const PassphraseRecorder&) = delete;

  PassphrasePrompts& prompts() { return prompts_; }
  bool Asked(const std::string& key) const {
    return std::find(prompts_.keys.begin(), prompts_.keys.end(), key) != prompts_.keys.end();
  }

 private:
  ssh_session session_;
  PassphrasePrompts prompts_;
  ssh_callbacks_struct callbacks_;
};

// One wording for every key that wants a passphrase, wherever it was named (the manifest's
// identity_file, the ssh config's IdentityFile, a default key).
std::string PassphraseProtected(const std::string& key) {
  return "identity file " + key +
         " (passphrase-protected: jlrec asks for no passphrase; load such keys into ssh-agent)";
}

}  // namespace

Status AuthenticateSession(ssh_session session, const std::string& identity_file,
                           const std::string& peer, Deadline deadline) {
  PassphraseRecorder recorder(session);
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

  std::string explicit_key;
  if (!identity_file.empty()) {
    explicit_key = ExpandHomePath(identity_file);
    ssh_key raw = nullptr;
    recorder.prompts().importing = explicit_key;
    const int imported = ssh_pki_import_privkey_file(explicit_key.c_str(), nullptr,
                                                     RefusePassphrase, &recorder.prompts(), &raw);
    recorder.prompts().importing.clear();
    if (imported != SSH_OK || raw == nullptr) {
      tried.push_back(recorder.Asked(explicit_key)
                          ? PassphraseProtected(explicit_key)
                          : "identity file " + explicit_key +
                                " (cannot be read: missing, unreadable, or passphrase-protected; "
                                "load such keys into ssh-agent)");
    } else {
      std::unique_ptr<ssh_key_struct, KeyFree> key(raw);
      SetSshCallTimeout(session, deadline);
      if (auto done = verdict(ssh_userauth_publickey(session, nullptr, key.get()),
                              "identity file " + explicit_key))
        return *done;
    }
  }

  SetSshCallTimeout(session, deadline);
  if (auto done = verdict(ssh_userauth_publickey_auto(session, nullptr, nullptr),
                          "default keys (~/.ssh/id_*, IdentityFile)"))
    return *done;
  // The ssh config's IdentityFiles are read by libssh: a protected one asked us.
  for (const auto& key : recorder.prompts().keys) {
    if (key != explicit_key) tried.push_back(PassphraseProtected(key));
  }

  std::string list;
  for (const auto& t : tried) list += (list.empty() ? "" : ", ") + t;
  return Status::Unavailable(peer + ": authentication refused (tried: " + list + ")");
}

}  // namespace jlrec
