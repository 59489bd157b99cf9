// The Provider contract (model/provider.h) as one suite that every Provider must pass: the
// in-memory fake (tests/engine/provider_contract_fake_test.cpp) and the SSH + Docker provider
// on the lab (tests/lab/provider_contract_lab_test.cpp). Docker is the truth; the same
// checks run against both, so the fake cannot drift from what the real provider does.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "model/provider.h"

namespace jlrec::testing {

/// The user label every container the contract creates carries, valued prefix() of the
/// provider under test, so that its cleanup finds them whatever they were renamed to.
inline constexpr const char* kContractRunLabel = "jlrec-contract.run";

/// The exit code of the contract's failing process (ContractFailingCommand).
inline constexpr int kContractExitCode = 3;

/// A container command that runs for a second, then exits with kContractExitCode: under
/// restart "always" the daemon keeps restarting it, under "no" it stays exited. A provider
/// under test that cannot run processes recognises it by value and simulates it.
std::vector<std::string> ContractFailingCommand();

/// A container command that writes "out1\n" on stdout and "err1\n" on stderr, and "out2\n" on
/// stdout 0.2 s later, then stays in the foreground and exits 0 on SIGTERM. A provider under
/// test that cannot run processes recognises it by value and logs those lines once it runs.
std::vector<std::string> ContractLoggingCommand();

/// An exec command that writes "out\n" on stdout and "err\n" on stderr and exits with 3.
std::vector<std::string> ContractOutputCommand();

/// An exec command for a TTY session that prints its terminal's size, "ROWS COLUMNS" (waiting
/// up to a second for Docker to set it).
std::vector<std::string> ContractTerminalSizeCommand();

/// A provider held to the Provider contract, plus what the contract needs that the
/// Provider interface does not offer. The contract runs these commands besides
/// serving_command() and ContractFailingCommand(), as execs and health checks; a provider
/// that cannot run processes simulates exactly them: `/bin/sh -c "exit N"` exits with N,
/// `test -f PATH` and `test -x PATH` test a file (an executable one) the contract uploaded,
/// `sleep N` outlives every timeout the contract gives an exec; attached (StartExec) sessions of
/// ContractOutputCommand(), ContractTerminalSizeCommand(), `cat` and `/no/such/command`.
class ProviderUnderTest {
 public:
  virtual ~ProviderUnderTest() = default;

  /// The provider of the host under test; lives as long as this object.
  virtual Provider& provider() = 0;
  /// An image tag present on the host and known to its registry, pulled from it (its local
  /// repo digests hold the registry's current digest).
  virtual std::string image() const = 0;
  /// Image references that neither the host nor the registry has: a tag of image()'s
  /// repository, and a repository the registry does not have.
  virtual std::vector<std::string> missing_images() const = 0;
  /// A command in image() that stays in the foreground and exits 0 on SIGTERM.
  virtual std::vector<std::string> serving_command() const = 0;
  /// A prefix unique to this object: the names of the contract's containers and projects
  /// hold it. Destroying this object removes every container labelled
  /// kContractRunLabel=prefix().
  virtual std::string prefix() const = 0;
  /// Lets the daemon act on its own for a moment (health probes, processes exiting, restart
  /// policies): a real daemon is given time, a simulated one is advanced by a step. The
  /// contract calls it between inspects while it waits, at most 150 times per wait.
  virtual void LetTimePass() = 0;
  /// How long after a container's start (or a file's write) an upload must come for its
  /// modification time to be later (for the StatFile key to change with the same size and
  /// mode): the resolution of upload mtimes plus how early they may err.
  virtual std::chrono::milliseconds mtime_resolution() const = 0;
};

/// Checks every promise of model/provider.h against `put`, one Catch2 SECTION per method
/// group (ListContainers; CreateContainer and InspectContainer; the lifecycle; renames;
/// files; Exec; StreamLogs; StartExec; images; what the daemon reports of health, restarts and
/// exits). Call it
/// from a TEST_CASE that makes a fresh `put` for each run of the test case: Catch2 runs the
/// case once per SECTION.
void CheckProviderContract(ProviderUnderTest& put);

}  // namespace jlrec::testing
