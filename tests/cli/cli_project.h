// A throwaway manifest and state file for tests of the jlrec binary that need a project but
// no host: two groups on two lab addresses that --refresh=false never contacts, and a host
// that refuses every connection (127.0.0.1, port 1) for a refresh that fails at once.
#pragma once

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "support/subprocess.h"

namespace jlrec::testing {

class CliProject {
 public:
  /// The manifest: project `clitest`; h1/core (product, core), h2/w1 and h2/w2 (product),
  /// h2/t1 (test, core), and dead/d1 (offline, core) on the refusing host.
  CliProject() {
    std::random_device random;
    dir_ = std::filesystem::temp_directory_path() / ("jlrec-cli-" + std::to_string(random()));
    std::filesystem::create_directories(dir_);
    std::ofstream(Path("jlrec.yaml"))
        << "version: 1\n"
           "project: clitest\n"
           "defaults:\n"
           "  image: 127.0.0.1:5000/jlrec-lab/base:1\n"
           "  template: " JLREC_SOURCE_DIR
           "/templates/jiliang_run.sh.tmpl\n"
           "hosts:\n"
           "  h1: {address: 127.0.0.2, port: 2222}\n"
           "  h2: {address: 127.0.0.3, port: 2222}\n"
           "  dead: {address: 127.0.0.1, port: 1, user: nobody}\n"
           "groups:\n"
           "  product: {runtime_mode: dev_new}\n"
           "  test: {runtime_mode: test}\n"
           "  offline: {runtime_mode: test}\n"
           "units:\n"
           "  - {host: h1, dockers: [core], group: [product], core: true}\n"
           "  - {host: h2, dockers: [w1, w2], group: [product]}\n"
           "  - {host: h2, dockers: [t1], group: [test], core: true}\n"
           "  - {host: dead, dockers: [d1], group: [offline], core: true}\n";
  }
  ~CliProject() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  CliProject(const CliProject&) = delete;
  CliProject& operator=(const CliProject&) = delete;

  /// A file in the project's folder.
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  /// Runs `jlrec ARGS -m MANIFEST --state STATE` with `env` added (JLREC_LOG and
  /// JLREC_LOG_FILE cleared unless `env` sets them, so the caller's own do not leak in).
  ProcessResult Jlrec(std::vector<std::string> args,
                      std::map<std::string, std::string> env = {}) const {
    args.insert(args.end(), {"-m", Path("jlrec.yaml"), "--state", Path("state.db")});
    env.emplace("JLREC_LOG", "");
    env.emplace("JLREC_LOG_FILE", "");
    return RunJlrec(args, "", env);
  }

 private:
  std::filesystem::path dir_;
};

}  // namespace jlrec::testing
