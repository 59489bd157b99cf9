// The Provider contract (tests/support/provider_contract.h) held against the SSH + Docker
// provider on a lab host; tests/engine/provider_contract_fake_test.cpp holds the fake to the
// same checks.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <sstream>
#include <thread>

#include "model/image_reference.h"
#include "providers/ssh_provider.h"
#include "support/lab_env.h"
#include "support/provider_contract.h"

namespace jlrec {
namespace {

using testing::LabDocker;
using testing::LabEnv;
using testing::ReadLabEnv;

constexpr int kLabHost = 1;
// Every run's prefix: kPrefixStem + its pid + "_".
constexpr const char* kPrefixStem = "pcontract_";

// `docker rm -f` of the containers on the lab host that `docker ps -a` finds with `filter`
// and `keep` accepts (given the value of their kContractRunLabel).
void RemoveContainers(const std::string& filter,
                      const std::function<bool(const std::string& run)>& keep) {
  const auto listed = LabDocker(
      kLabHost, {"ps", "-a", "--filter", filter, "--format",
                 std::string("{{.ID}} {{.Label \"") + testing::kContractRunLabel + "\"}}"});
  std::istringstream in(listed.out);
  std::vector<std::string> args{"rm", "-f"};
  for (std::string id, run; in >> id >> run;)
    if (keep(run)) args.push_back(id);
  if (args.size() > 2) LabDocker(kLabHost, args);
}

// The SSH + Docker provider of lab host 1 as the provider under test. Its containers are
// labelled with a prefix holding this process's pid: a later run removes those of runs whose
// process is gone (a crash), never those of a run still going (from another checkout).
class LabUnderTest : public testing::ProviderUnderTest {
 public:
  LabUnderTest() : env_(ReadLabEnv()), prefix_(kPrefixStem + std::to_string(getpid()) + "_") {
    RemoveContainers(std::string("label=") + testing::kContractRunLabel,
                     [](const std::string& run) { return RunIsOver(run); });
    auto opened = MakeSshProviderFactory()->Open(env_.Connection(kLabHost), {});
    INFO(opened.status().ToString());
    REQUIRE(opened.ok());
    provider_ = std::move(*opened);
    Result<bool> has = provider_->HasImage(image());
    INFO(has.status().ToString());
    REQUIRE(has.ok());
    if (!*has) {
      Status pulled = provider_->PullImage(image());
      INFO(pulled.ToString());
      REQUIRE(pulled.ok());
    }
  }
  ~LabUnderTest() override {
    RemoveContainers(std::string("label=") + testing::kContractRunLabel + "=" + prefix_,
                     [](const std::string&) { return true; });
  }

  Provider& provider() override { return *provider_; }
  std::string image() const override { return env_.image1; }
  std::vector<std::string> missing_images() const override {
    const std::string repository = RepoOf(env_.image1);
    return {repository + ":pcontract-absent", repository + "-pcontract-absent:1"};
  }
  std::vector<std::string> serving_command() const override {
    // The lab image's fixture: stays in the foreground, exits 0 on SIGTERM.
    return {"/workspace/jiliang_system/deploy/run.sh"};
  }
  std::string prefix() const override { return prefix_; }
  void LetTimePass() override { std::this_thread::sleep_for(std::chrono::milliseconds(200)); }
  std::chrono::milliseconds mtime_resolution() const override {
    // An upload's mtime is whole seconds and errs early by up to a second more (the Date
    // header it comes from is whole seconds too).
    return std::chrono::milliseconds(3000);
  }

 private:
  // True when `run` (a kContractRunLabel value) names a process that no longer exists.
  static bool RunIsOver(const std::string& run) {
    if (run.rfind(kPrefixStem, 0) != 0) return false;
    const pid_t pid = static_cast<pid_t>(std::atoi(run.c_str() + std::strlen(kPrefixStem)));
    return pid > 0 && pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH;
  }

  LabEnv env_;
  std::string prefix_;
  std::unique_ptr<Provider> provider_;
};

TEST_CASE("the SSH + Docker provider keeps the Provider contract on a lab host",
          "[lab][provider-contract]") {
  LabUnderTest lab;
  testing::CheckProviderContract(lab);
}

}  // namespace
}  // namespace jlrec
