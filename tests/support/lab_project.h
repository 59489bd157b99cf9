// A throwaway jlrec project on the lab: its own manifest, template and state in a temp
// folder, its own project label, and cleanup of every container it made on every host.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "support/lab_env.h"
#include "support/subprocess.h"

namespace jlrec::testing {

/// One unit of the generated manifest.
struct LabUnit {
  int host = 1;                      ///< lab host number
  std::vector<std::string> dockers;  ///< container names
  std::vector<std::string> groups = {"product"};
  bool core = false;
  std::string extra;  ///< extra YAML lines for the unit (indented by the caller)
};

/// A project whose manifest is generated into a temp dir. Containers are named
/// "<prefix>_<name>" to stay apart from other tests; the project label is the prefix.
class LabProject {
 public:
  /// Creates the temp dir, removes leftovers of an earlier crashed run of the same prefix.
  explicit LabProject(const std::string& prefix);
  /// Removes every container of the project on every lab host, and the temp dir.
  ~LabProject();

  /// Writes the manifest with `units`, groups product (dev_new) and test (test).
  void Write(const std::vector<LabUnit>& units, const std::string& image = "",
             const std::string& runtime_mode_product = "dev_new",
             const std::string& extra_defaults = "");
  /// Runs `jlrec <args> -m <manifest>` (with `env` added to its environment) and returns its
  /// result.
  ProcessResult Jlrec(std::vector<std::string> args, const std::string& input = "",
                      const std::map<std::string, std::string>& env = {}) const;
  /// The container's full name for short name `name`.
  std::string Name(const std::string& name) const { return prefix_ + "_" + name; }
  /// `docker inspect -f FORMAT` of a container on lab host `host` ("" if absent).
  std::string Inspect(int host, const std::string& name, const std::string& format) const;
  /// The /run.sh in a container ("" if absent).
  std::string RunScript(int host, const std::string& name) const;
  /// The project's label value.
  const std::string& project() const { return prefix_; }
  /// Path of the manifest.
  std::string manifest() const { return dir_ + "/jlrec.yaml"; }
  /// The temp dir.
  const std::string& dir() const { return dir_; }
  /// Removes the project's containers on every lab host.
  void RemoveContainers() const;
  /// The lab.
  const LabEnv& lab() const { return lab_; }

 private:
  std::string prefix_;
  std::string dir_;
  LabEnv lab_;
};

}  // namespace jlrec::testing
