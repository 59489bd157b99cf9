#include "cli/state_key_for_run.h"

#include <spdlog/spdlog.h>

#include <map>

#include "state/state_key.h"

namespace jlrec::cli {

namespace {

struct RunKey {
  std::string key;
  bool saved = false;  // on disk (read from there, or saved by ClaimStateKey)
};

// Key file path -> its key for this process (the CLI runs one command per process).
std::map<std::string, RunKey>& Keys() {
  static std::map<std::string, RunKey> keys;
  return keys;
}

}  // namespace

Result<std::string> StateKeyFor(const std::string& key_path) {
  auto& keys = Keys();
  if (auto it = keys.find(key_path); it != keys.end()) return it->second.key;
  auto loaded = LoadStateKeyFile(key_path);
  if (loaded.ok()) {
    keys[key_path] = RunKey{*loaded, true};
    return loaded;
  }
  if (loaded.status().code() != Status::Code::kNotFound) return loaded.status();
  auto made = NewStateKey();
  if (!made.ok()) return made.status();
  keys[key_path] = RunKey{*made, false};
  return made;
}

Status ClaimStateKey(StateStore& store, const std::string& project, const std::string& key_path,
                     bool sole_copy) {
  if (auto key = StateKeyFor(key_path); !key.ok()) return key.status();
  RunKey& entry = Keys()[key_path];
  bool made_here = false;
  if (!entry.saved) {
    auto saved = SaveStateKeyFile(key_path, entry.key);
    if (!saved.ok()) return saved.status();
    made_here = *saved == entry.key;
    // Another jlrec of this checkout saved its key first: that one is the checkout's now.
    // This process's digests were made under its own (they only name a hand edit of /run.sh
    // differently).
    if (!made_here) spdlog::debug("another jlrec saved the state key {} first", key_path);
    entry = RunKey{*saved, true};
  }
  const std::string id = StateKeyId(entry.key);
  auto forget_new_key = [&] {
    if (!made_here) return;
    if (Status removed = RemoveStateKeyFile(key_path, entry.key); !removed.ok())
      spdlog::warn("{}", removed.message());
    Keys().erase(key_path);
  };
  auto claimed = store.ClaimStateKeyId(project, id);
  if (!claimed.ok()) {
    forget_new_key();
    return claimed.status();
  }
  if (*claimed == id) return Status::Ok();
  if (made_here && sole_copy) {
    // The state's own key file was deleted: nobody holds the old key any more.
    spdlog::warn(
        "the state key {} was missing: a new one replaces the lost key (id {}). Digests "
        "recorded under the lost key no longer match: a plan may show /run.sh updates for "
        "containers it has not refreshed since",
        key_path, *claimed);
    Status forgotten = store.ForgetStateKeyId(project);
    if (forgotten.ok()) claimed = store.ClaimStateKeyId(project, id);
    if (forgotten.ok() && claimed.ok() && *claimed == id) return Status::Ok();
    if (!forgotten.ok()) claimed = forgotten;
    if (!claimed.ok()) {
      forget_new_key();
      return claimed.status();
    }
  }
  forget_new_key();
  return Status::Conflict(
      "project " + project + "'s digests in this state were made under another state key (id " +
      *claimed + ") than this checkout's " + key_path + " (id " + id + ")" +
      (made_here ? ", which this checkout did not have: none was kept" : "") +
      ". Copy the key file of a checkout that shares this state to " + key_path +
      " (mode 600), or point --state-key (or JLREC_STATE_KEY) at it");
}

}  // namespace jlrec::cli
