// The Provider contract (tests/support/provider_contract.h) held against the in-memory fake;
// tests/lab/provider_contract_lab_test.cpp holds the real provider to the same checks.
#include <catch2/catch.hpp>

#include "model/digest.h"
#include "model/image_reference.h"
#include "support/fake_provider.h"
#include "support/provider_contract.h"

namespace jlrec {
namespace {

constexpr const char* kImage = "reg/base:1";

// A FakeProvider as the provider under test: its image is on the host and in the registry,
// and it runs the contract's processes as a daemon would, simulated: an exec handler for the
// commands, LetTimePass for what the daemon does on its own.
class FakeUnderTest : public testing::ProviderUnderTest {
 public:
  FakeUnderTest() {
    const std::string digest = "sha256:" + Sha256Hex(std::string(kImage) + " manifest");
    fake_.AddImage(kImage);
    fake_.SetRegistryDigest(kImage, digest);
    fake_.SetLocalImageDigests(kImage, {RepoOf(kImage) + "@" + digest});
    for (const std::string& ref : missing_images()) fake_.SetRegistryMissing(ref);
    fake_.SetExecHandler(
        [this](const std::string& container, const std::vector<std::string>& argv) {
          return Run(container, argv);
        });
    fake_.SetSessionHandler(
        [](const std::string&, const ExecRequest& request) { return Attached(request); });
  }

  Provider& provider() override { return fake_; }
  std::string image() const override { return kImage; }
  std::vector<std::string> missing_images() const override {
    return {"reg/base:absent", "reg/absent:1"};
  }
  std::vector<std::string> serving_command() const override { return {"/serve"}; }
  std::string prefix() const override { return "pcontract_"; }
  std::chrono::milliseconds mtime_resolution() const override {
    return std::chrono::milliseconds(0);  // the fake's clock strictly increases
  }

  // One step of the daemon: a container its restart policy restarts runs again, a running
  // failing command exits, a running logging command writes its lines, the health checks of
  // the other running containers are probed.
  void LetTimePass() override {
    for (const auto& [name, c] : fake_.Containers()) {
      if (c.live.running() && c.live.spec.command == testing::ContractLoggingCommand()) {
        if (c.log.empty()) {
          fake_.AppendLog(name, OutputStream::kStdout, "out1\n");
          fake_.AppendLog(name, OutputStream::kStderr, "err1\n");
          fake_.AppendLog(name, OutputStream::kStdout, "out2\n");
        }
      } else if (c.live.restarting()) {
        fake_.RestartByPolicy(name);
      } else if (c.live.running() && c.live.spec.command == testing::ContractFailingCommand()) {
        fake_.ExitProcess(name, testing::kContractExitCode);
      } else if (c.live.running() && c.live.spec.healthcheck) {
        Result<int> probe = Run(name, c.live.spec.healthcheck->command);
        fake_.SetHealth(name, probe.ok() && *probe == 0 ? "healthy" : "unhealthy");
      }
    }
  }

 private:
  // What the contract's attached execs do.
  static Result<FakeExecScript> Attached(const ExecRequest& request) {
    FakeExecScript script;
    if (request.argv == testing::ContractOutputCommand()) {
      script.out = "out\n";
      script.err = "err\n";
      script.exit_code = 3;
    } else if (request.argv == std::vector<std::string>{"cat"}) {
      script.echo_input = true;
    } else if (request.argv == testing::ContractTerminalSizeCommand() && request.size) {
      script.out =
          std::to_string(request.size->rows) + " " + std::to_string(request.size->columns) + "\r\n";
    } else if (request.argv == std::vector<std::string>{"/no/such/command"}) {
      // As Docker 20.10 answers it: the runtime's explanation as output, then 126.
      script.out =
          "OCI runtime exec failed: exec failed: unable to start container process: exec: "
          "\"/no/such/command\": stat /no/such/command: no such file or directory: unknown\r\n";
      script.exit_code = 126;
      script.started = false;
    } else {
      return Status::Internal("fake: the contract's sessions do not include '" +
                              request.argv.at(0) + "'");
    }
    return script;
  }

  // What `argv` does in container `name`: the commands the contract runs.
  Result<int> Run(const std::string& name, const std::vector<std::string>& argv) const {
    if (argv.size() == 3 && argv[0] == "/bin/sh" && argv[1] == "-c" &&
        argv[2].rfind("exit ", 0) == 0)
      return std::stoi(argv[2].substr(5));
    if (argv.size() == 3 && argv[0] == "test" && (argv[1] == "-f" || argv[1] == "-x")) {
      std::optional<FakeContainer> c = fake_.Container(name);
      if (!c || c->files.count(argv[2]) == 0) return 1;
      if (argv[1] == "-f") return 0;
      auto mode = c->file_modes.find(argv[2]);
      return mode != c->file_modes.end() && (mode->second & 0111) != 0 ? 0 : 1;
    }
    if (!argv.empty() && argv[0] == "sleep")
      return Status::Timeout("fake: '" + argv[0] + "' outlives the exec's timeout");
    return Status::Internal("fake: the contract's commands do not include '" + argv.at(0) + "'");
  }

  FakeProvider fake_{"fake1"};
};

TEST_CASE("the fake provider keeps the Provider contract", "[fake_provider][provider-contract]") {
  FakeUnderTest fake;
  testing::CheckProviderContract(fake);
}

}  // namespace
}  // namespace jlrec
