// Helpers shared by the state store tests: a private temporary directory and sample data.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "model/live_state.h"
#include "model/state_store.h"

namespace jlrec::test {

/// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/jlrec-state-test-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  /// The directory.
  const std::filesystem::path& path() const { return path_; }
  /// `name` inside the directory, as a string.
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

/// Opens the store at `path`, failing the test with the store's message if it cannot.
std::unique_ptr<StateStore> OpenStoreOrFail(const std::string& path);

/// A container with every field set to a value derived from `name` and `variant`, so two
/// different arguments give containers that differ in every field. Variants with
/// variant % 3 == 1 have no healthcheck, those with variant % 3 == 2 no /run.sh.
LiveContainer SampleContainer(const std::string& name, int variant = 0);

/// A reachable snapshot of `host` observed at `observed_at` holding `containers`.
HostSnapshot ReachableSnapshot(const std::string& host, std::int64_t observed_at,
                               std::vector<LiveContainer> containers);

}  // namespace jlrec::test
