#include "providers/ssh_host_key.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <memory>
#include <vector>

#include "model/mutex.h"
#include "model/strings.h"
#include "model/thread_annotations.h"
#include "providers/ssh_common.h"

namespace jlrec {

namespace {

// Serialises reads and appends of known_hosts files among this process's connections,
// so that concurrent --accept-new-host-keys never interleave partial lines. It guards files,
// not memory: RecordedKeys REQUIRES it, libssh's own reads and appends are called under it.
// constinit: ready before any static constructor could connect.
constinit Mutex known_hosts_mu;

struct KeyFree {
  void operator()(ssh_key_struct* key) const { ssh_key_free(key); }
};
using KeyPtr = std::unique_ptr<ssh_key_struct, KeyFree>;

std::string OptionString(ssh_session session, ssh_options_e option) {
  char* value = nullptr;
  if (ssh_options_get(session, option, &value) != SSH_OK || value == nullptr) return "";
  std::string out = value;
  ssh_string_free_char(value);
  return out;
}

// How known_hosts names the host: "host" on port 22, else "[host]:port" (lowercase).
std::string KnownHostsName(ssh_session session) {
  std::string host = OptionString(session, SSH_OPTIONS_HOST);
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  unsigned int port = 22;
  ssh_options_get_port(session, &port);
  return port == 22 ? host : "[" + host + "]:" + std::to_string(port);
}

std::string Describe(ssh_key key) {
  return std::string(ssh_key_type_to_char(ssh_key_type(key))) + " " + Sha256Fingerprint(key);
}

// The keys `file` records for `name`, as "type SHA256:... (file:line)".
std::vector<std::string> RecordedKeys(const std::string& file, const std::string& name)
    REQUIRES(known_hosts_mu) {
  std::vector<std::string> out;
  std::ifstream in(file);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    ssh_knownhosts_entry* entry = nullptr;
    if (ssh_known_hosts_parse_line(name.c_str(), line.c_str() + first, &entry) != SSH_OK ||
        entry == nullptr)
      continue;
    if (entry->publickey != nullptr)
      out.push_back(Describe(entry->publickey) + " (" + file + ":" + std::to_string(number) + ")");
    ssh_knownhosts_entry_free(entry);
  }
  return out;
}

}  // namespace

std::string Sha256Fingerprint(ssh_key key) {
  unsigned char* hash = nullptr;
  size_t length = 0;
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) != SSH_OK) return "";
  char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length);
  ssh_clean_pubkey_hash(&hash);
  if (text == nullptr) return "";
  std::string out = text;
  ssh_string_free_char(text);
  return out;
}

Status VerifyHostKey(ssh_session session, const std::string& peer, bool accept_new) {
  ssh_key raw_key = nullptr;
  if (ssh_get_server_publickey(session, &raw_key) != SSH_OK || raw_key == nullptr)
    return Status::Unavailable(peer + ": the server presented no host key: " + SshError(session));
  KeyPtr server_key(raw_key);
  const std::string offered = Describe(server_key.get());
  const std::string file = OptionString(session, SSH_OPTIONS_KNOWNHOSTS);
  const std::string name = KnownHostsName(session);

  MutexLock lock(known_hosts_mu);
  switch (ssh_session_is_known_server(session)) {
    case SSH_KNOWN_HOSTS_OK:
      return Status::Ok();
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER: {
      std::vector<std::string> recorded = RecordedKeys(file, name);
      if (std::string global = OptionString(session, SSH_OPTIONS_GLOBAL_KNOWNHOSTS);
          !global.empty()) {
        auto more = RecordedKeys(global, name);
        recorded.insert(recorded.end(), more.begin(), more.end());
      }
      return Status::Unavailable(
          peer + ": HOST KEY MISMATCH, refusing to connect: the server offers " + offered +
          " but known_hosts records " +
          (recorded.empty() ? std::string("a different key for ") + name : Join(recorded, "; ")) +
          ". Someone may be intercepting the connection (man-in-the-middle), or the host "
          "was reinstalled. Verify the new fingerprint out of band; if it is right, remove "
          "the old entry (ssh-keygen -R '" +
          name + "' -f " + file + ") and connect again with --accept-new-host-keys.");
    }
    case SSH_KNOWN_HOSTS_UNKNOWN:
    case SSH_KNOWN_HOSTS_NOT_FOUND: {
      if (!accept_new)
        return Status::Unavailable(
            peer + ": unknown host key: " + name + " is not in " +
            (file.empty() ? std::string("known_hosts") : file) + " (the server offers " + offered +
            "). Verify the fingerprint, then rerun with --accept-new-host-keys to add it, or "
            "add it yourself (ssh-keyscan -p PORT HOST >> known_hosts).");
      if (ssh_session_update_known_hosts(session) != SSH_OK)
        return Status::Unavailable(peer + ": cannot record the new host key " + offered + " in " +
                                   file + ": " + SshError(session));
      return Status::Ok();
    }
    case SSH_KNOWN_HOSTS_ERROR:
      break;
  }
  return Status::Unavailable(peer + ": cannot check the host key against " + file + ": " +
                             SshError(session));
}

}  // namespace jlrec
