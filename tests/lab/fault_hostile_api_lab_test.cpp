// Fault injection: a Docker API that lies (tests/support/hostile_docker_api.h), reached the
// way a real one is: through lab host 1's sshd, at the manifest's docker_socket. Whatever the
// lie, jlrec must end with a clear error naming the host, within its request timeout, without
// crashing, in bounded memory; with the real daemon back, the same project converges.
#include <fstream>

#include "fault_lab.h"
#include "support/hostile_docker_api.h"
#include "support/sanitizers.h"

using namespace jlrec::testing;

namespace {

constexpr double kRequestTimeout = 2;
// SSH connect and the version handshake, besides the request timeout.
constexpr double kSlack = 4;

// Writes `p`'s manifest: one container on lab host 1, whose daemon is at `docker_socket`.
void WriteManifest(const LabProject& p, const std::string& docker_socket) {
  const LabEnv& lab = p.lab();
  const LabHost h = lab.Host(1);
  std::ofstream t(p.dir() + "/run.sh.tmpl");
  t << "exec sh /workspace/jiliang_system/deploy/run.sh\n";
  t.close();
  std::ofstream m(p.manifest());
  m << "version: 1\nproject: " << p.project() << "\n"
    << "defaults:\n  image: " << lab.image1
    << "\n  command: [\"/bin/sh\", \"/run.sh\"]\n  network_mode: host\n"
    << "  template: run.sh.tmpl\n"
    << "hosts:\n  " << h.key << ": {address: " << h.address << ", port: " << h.port
    << ", user: root, identity_file: " << lab.identity_file << ", known_hosts: " << lab.known_hosts
    << ", docker_socket: " << docker_socket << "}\n"
    << "groups:\n  product: {enable_monitor: false, runtime_mode: dev_new}\n"
    << "units:\n  - host: lab1\n    dockers: [" << p.Name("svc")
    << "]\n    group: [product]\n    core: true\n";
}

// Bytes a terminal would act on: C0 controls but newline and tab, DEL, and C1 (as UTF-8
// 0xC2 0x80-0x9F).
bool HasRawControlBytes(const std::string& text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return true;
    if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(text[i + 1]) <= 0x9f)
      return true;
  }
  return false;
}

// `jlrec plan` of `p` against a hostile daemon in `mode`.
ProcessResult PlanAgainst(const LabProject& p, HostileDockerApi::Mode mode, double& seconds) {
  const std::string socket = p.dir() + "/hostile.sock";
  HostileDockerApi hostile(socket, mode);
  WriteManifest(p, socket);
  auto t0 = std::chrono::steady_clock::now();
  auto r = p.Jlrec({"plan", "product", "--request-timeout=2"});
  seconds = SecondsSince(t0);
  CHECK(hostile.hostile_replies() >= 1);  // the handshake passed: the lie was heard
  return r;
}

}  // namespace

TEST_CASE(
    "a hostile Docker API behind a lab host: every lie ends in an error naming the host, in "
    "bounded time and memory, with the real daemon back the project converges",
    "[lab][faults]") {
  LabProject p("e2efault6");
  for (HostileDockerApi::Mode mode : HostileDockerApi::AllModes()) {
    INFO("hostile daemon: " << HostileDockerApi::Name(mode));
    double seconds = 0;
    ProcessResult r = PlanAgainst(p, mode, seconds);
    INFO(r.out << r.err);
    INFO("took " << seconds << " s, peak memory " << r.max_rss_kb / 1024 << " MiB");
    CHECK(r.exit_code == 1);  // an error, not a crash (128+signal) nor a plan
    CHECK(Contains(r.out, "Error: host lab1"));
    CHECK(seconds < kRequestTimeout + kSlack);
    // The reply parse is bounded by the call's cap (64 MiB for a container list) and by the
    // longest token the JSON parse takes (4 MiB): the 50 MiB answer is one JSON string, refused
    // when it passes 4 MiB (it cost over 250 MiB when the lexer held it whole).
    const std::size_t bound_mib = 100;
    CHECK(WithinMemoryBound(r.max_rss_kb * 1024, bound_mib * 1024 * 1024));
  }
  WriteManifest(p, p.lab().Host(1).docker_socket);
  Converge(p);
  CheckRunsExactly(p, 1, {"svc"});
}

TEST_CASE("a hostile Docker API's control bytes never reach the terminal raw", "[lab][faults]") {
  LabProject p("e2efault7");
  double seconds = 0;
  ProcessResult r = PlanAgainst(p, HostileDockerApi::Mode::kControlBytes, seconds);
  INFO(r.out << r.err);
  CHECK(Contains(r.out, "Error: host lab1"));
  CHECK_FALSE(HasRawControlBytes(r.out));
  CHECK_FALSE(HasRawControlBytes(r.err));
}
