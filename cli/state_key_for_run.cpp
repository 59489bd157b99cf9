#include "cli/state_key_for_run.h"

#include <spdlog/spdlog.h>

#include <iostream>
#include <map>

#include "state/state_key.h"

namespace jlrec::cli {

namespace {

struct RunKey {
  std::string key;
  bool saved = false;  // on disk (read from there, or saved by SavePendingStateKey)
};

// State path -> its key for this process (the CLI runs one command per process).
std::map<std::string, RunKey>& Keys() {
  static std::map<std::string, RunKey> keys;
  return keys;
}

}  // namespace

Result<std::string> StateKeyFor(const std::string& state_path) {
  auto& keys = Keys();
  if (auto it = keys.find(state_path); it != keys.end()) return it->second.key;
  auto loaded = LoadStateKey(state_path);
  if (loaded.ok()) {
    keys[state_path] = RunKey{*loaded, true};
    return loaded;
  }
  if (loaded.status().code() != Status::Code::kNotFound) return loaded.status();
  auto made = NewStateKey();
  if (!made.ok()) return made.status();
  keys[state_path] = RunKey{*made, false};
  return made;
}

void SavePendingStateKey(const std::string& state_path) {
  auto it = Keys().find(state_path);
  if (it == Keys().end() || it->second.saved) return;
  auto saved = SaveStateKey(state_path, it->second.key);
  if (!saved.ok()) {
    std::cerr << "jlrec: warning: " << saved.status().message() << "\n";
    return;
  }
  it->second.saved = true;
  if (*saved != it->second.key)
    spdlog::debug("another jlrec saved the state key of {} first", state_path);
}

}  // namespace jlrec::cli
