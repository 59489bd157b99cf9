// The SSH provider against the real lab: sshd + dockerd per host, a local registry.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "model/rfc3339.h"
#include "providers/docker_container_json.h"
#include "providers/http_connection.h"
#include "providers/ssh_provider.h"
#include "providers/ssh_session.h"
#include "support/lab_env.h"
#include "support/subprocess.h"

extern char** environ;

namespace jlrec {
namespace {

using testing::LabCommand;
using testing::LabDocker;
using testing::LabEnv;
using testing::ReadLabEnv;
using testing::RunProcess;

// Every container these tests create carries this label (and a ptest_ name), so that a
// rerun after a crash removes the leftovers first.
constexpr const char* kOwnerLabel = "ptest.owner";
constexpr const char* kOwner = "provider_lab_test";

HostConnection LabConnection(const LabEnv& env, int n) {
  auto lab = env.Host(n);
  HostConnection host;
  host.key = lab.key;
  host.address = lab.address;
  host.port = lab.port;
  host.user = "root";
  host.identity_file = env.identity_file;
  host.known_hosts = env.known_hosts;
  host.docker_socket = lab.docker_socket;
  return host;
}

std::unique_ptr<Provider> OpenLab(int n, ConnectOptions options = {}) {
  auto provider = MakeSshProviderFactory()->Open(LabConnection(ReadLabEnv(), n), options);
  INFO(provider.status().ToString());
  REQUIRE(provider.ok());
  return std::move(*provider);
}

// Runs `fn` when the scope ends, also when a REQUIRE throws.
class Finally {
 public:
  explicit Finally(std::function<void()> fn) : fn_(std::move(fn)) {}
  ~Finally() { fn_(); }
  Finally(const Finally&) = delete;
  Finally& operator=(const Finally&) = delete;

 private:
  std::function<void()> fn_;
};

void RemoveTestContainers(int host) {
  auto ids = LabDocker(
      host, {"ps", "-aq", "--filter", std::string("label=") + kOwnerLabel + "=" + kOwner});
  std::istringstream in(ids.out);
  std::vector<std::string> args{"rm", "-f"};
  for (std::string id; in >> id;) args.push_back(id);
  if (args.size() > 2) LabDocker(host, args);
}

// A private directory under /tmp, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/ptest-XXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// "SHA256:..." of a public key file, as ssh-keygen prints it.
std::string Fingerprint(const std::string& pub_file) {
  auto r = RunProcess({"ssh-keygen", "-l", "-E", "sha256", "-f", pub_file});
  REQUIRE(r.exit_code == 0);
  std::istringstream in(r.out);
  std::string bits, fingerprint;
  in >> bits >> fingerprint;
  return fingerprint;
}

void EnsureImage(Provider& provider, const std::string& image) {
  auto has = provider.HasImage(image);
  REQUIRE(has.ok());
  if (!*has) {
    Status pulled = provider.PullImage(image);
    INFO(pulled.ToString());
    REQUIRE(pulled.ok());
  }
}

CreateContainerRequest TestContainer(const std::string& name, const std::string& image) {
  CreateContainerRequest req;
  req.name = name;
  req.spec.image = image;
  // The lab image's fixture: stays in the foreground, exits 0 on SIGTERM.
  req.spec.command = {"/workspace/jiliang_system/deploy/run.sh"};
  req.spec.network_mode = "none";
  req.spec.restart = "no";
  req.spec.labels = {{kOwnerLabel, kOwner}};
  return req;
}

TEST_CASE("connects to every lab host and lists its containers", "[lab][provider]") {
  LabEnv env = ReadLabEnv();
  for (int n = 1; n <= std::min(env.hosts, 3); ++n) {
    auto provider = OpenLab(n);
    CHECK(provider->host() == "lab" + std::to_string(n));
    auto list = provider->ListContainers("ptest-nothing-here", {"ptest_no_such_name"});
    INFO(list.status().ToString());
    REQUIRE(list.ok());
    CHECK(list->empty());
  }
}

TEST_CASE("a created container reads back as its spec, and its files, exec and lifecycle work",
          "[lab][provider]") {
  LabEnv env = ReadLabEnv();
  RemoveTestContainers(1);
  Finally cleanup([] { RemoveTestContainers(1); });
  auto provider = OpenLab(1);
  EnsureImage(*provider, env.image1);

  CreateContainerRequest req = TestContainer("ptest_roundtrip", env.image1);
  req.spec.volumes = {"/var/tmp:/b", "/tmp:/a:ro"};  // order kept, not sorted
  req.spec.restart = "on-failure:2";
  req.spec.ports = *CanonicalPorts({"127.0.0.1:18080:80", "9000/udp"});
  req.spec.labels["app"] = "round trip";
  req.jlrec_labels = {{"jlrec.project", "ptest"}, {"jlrec.unit", "lab1/ptest_roundtrip"}};
  auto id = provider->CreateContainer(req);
  INFO(id.status().ToString());
  REQUIRE(id.ok());
  CHECK(provider->CreateContainer(req).status().code() == Status::Code::kConflict);

  auto created = provider->InspectContainer(*id);
  REQUIRE(created.ok());
  CHECK(created->spec == req.spec);
  CHECK(created->jlrec_labels == req.jlrec_labels);
  CHECK(created->name == "ptest_roundtrip");
  CHECK(created->state == "created");
  CHECK(created->started_at.empty());
  CHECK(created->image_id.rfind("sha256:", 0) == 0);
  auto by_name = provider->InspectContainer("ptest_roundtrip");
  REQUIRE(by_name.ok());
  CHECK(by_name->id == *id);

  // Found by project label, and by exact name only.
  auto by_project = provider->ListContainers("ptest", {});
  REQUIRE(by_project.ok());
  REQUIRE(by_project->size() == 1);
  CHECK(by_project->front().spec == req.spec);
  auto wanted = provider->ListContainers("ptest-other", {"ptest_roundtrip"});
  REQUIRE(wanted.ok());
  CHECK(wanted->size() == 1);
  auto near_miss = provider->ListContainers("ptest-other", {"ptest_roundtri", "roundtrip"});
  REQUIRE(near_miss.ok());
  CHECK(near_miss->empty());

  // /run.sh into a container that never ran, then read back.
  const std::string script = "#!/bin/sh\n# ptest\nexport RUNTIME_MODE=lab\nexec sleep 1000\n";
  REQUIRE(provider->UploadFile(*id, "/run.sh", script, 0755).ok());
  auto read = provider->ReadFile(*id, "/run.sh");
  REQUIRE(read.ok());
  REQUIRE(read->has_value());
  CHECK(**read == script);
  auto absent = provider->ReadFile(*id, "/no/such/file.sh");
  REQUIRE(absent.ok());
  CHECK_FALSE(absent->has_value());
  CHECK(provider->ReadFile("ptest_no_such_container", "/run.sh").status().code() ==
        Status::Code::kNotFound);

  REQUIRE(provider->StartContainer(*id).ok());
  CHECK(provider->StartContainer(*id).ok());  // already running
  auto running = provider->InspectContainer(*id);
  REQUIRE(running.ok());
  CHECK(running->running());
  CHECK_FALSE(running->started_at.empty());

  auto exists = provider->Exec(*id, {"test", "-f", "/run.sh"}, std::chrono::seconds(30));
  REQUIRE(exists.ok());
  CHECK(*exists == 0);
  auto executable = provider->Exec(*id, {"test", "-x", "/run.sh"}, std::chrono::seconds(30));
  REQUIRE(executable.ok());
  CHECK(*executable == 0);
  auto fails = provider->Exec(*id, {"sh", "-c", "exit 7"}, std::chrono::seconds(30));
  REQUIRE(fails.ok());
  CHECK(*fails == 7);
  auto missing = provider->Exec(*id, {"test", "-f", "/nope"}, std::chrono::seconds(30));
  REQUIRE(missing.ok());
  CHECK(*missing == 1);

  REQUIRE(provider->StopContainer(*id, std::chrono::seconds(10)).ok());
  CHECK(provider->StopContainer(*id, std::chrono::seconds(10)).ok());  // already stopped
  auto stopped = provider->InspectContainer(*id);
  REQUIRE(stopped.ok());
  CHECK(stopped->state == "exited");
  CHECK(provider->Exec(*id, {"true"}, std::chrono::seconds(5)).status().code() ==
        Status::Code::kConflict);
  // Files of a stopped container can still be read and written.
  auto after_stop = provider->ReadFile(*id, "/run.sh");
  REQUIRE(after_stop.ok());
  REQUIRE(after_stop->has_value());
  CHECK(**after_stop == script);
  REQUIRE(provider->UploadFile(*id, "/run.sh", script + "# v2\n", 0755).ok());
  CHECK(**provider->ReadFile(*id, "/run.sh") == script + "# v2\n");

  REQUIRE(provider->StartContainer(*id).ok());
  REQUIRE(provider->RestartContainer(*id, std::chrono::seconds(10)).ok());
  CHECK(provider->InspectContainer(*id)->running());
  CHECK(provider->RemoveContainer(*id).code() == Status::Code::kConflict);  // running
  REQUIRE(provider->StopContainer(*id, std::chrono::seconds(10)).ok());
  REQUIRE(provider->RemoveContainer(*id).ok());
  CHECK(provider->RemoveContainer(*id).ok());  // already gone
  CHECK(provider->InspectContainer(*id).status().code() == Status::Code::kNotFound);
}

TEST_CASE("an empty command reads back empty (the image default)", "[lab][provider]") {
  LabEnv env = ReadLabEnv();
  RemoveTestContainers(1);
  Finally cleanup([] { RemoveTestContainers(1); });
  auto provider = OpenLab(1);
  EnsureImage(*provider, env.image1);
  CreateContainerRequest req = TestContainer("ptest_default_cmd", env.image1);
  req.spec.command.clear();
  req.spec.network_mode.clear();
  auto id = provider->CreateContainer(req);
  REQUIRE(id.ok());
  auto c = provider->InspectContainer(*id);
  REQUIRE(c.ok());
  CHECK(c->spec == req.spec);
}

TEST_CASE("image digests come from the local registry", "[lab][provider]") {
  LabEnv env = ReadLabEnv();
  auto provider = OpenLab(1);
  EnsureImage(*provider, env.image1);
  auto digest = provider->ResolveImageDigest(env.image1);
  INFO(digest.status().ToString());
  REQUIRE(digest.ok());
  CHECK(digest->rfind("sha256:", 0) == 0);
  auto local = provider->LocalImageDigests(env.image1);
  REQUIRE(local.ok());
  CHECK(std::find(local->begin(), local->end(), "127.0.0.1:5000/jlrec-lab/base@" + *digest) !=
        local->end());
  CHECK(provider->LocalImageDigests("127.0.0.1:5000/jlrec-lab/base:ptest-absent")->empty());
  CHECK_FALSE(*provider->HasImage("127.0.0.1:5000/jlrec-lab/base:ptest-absent"));

  // Nothing listens on 127.0.0.1:5999.
  auto unreachable = provider->ResolveImageDigest("127.0.0.1:5999/jlrec-lab/base:1");
  CHECK(unreachable.status().code() == Status::Code::kUnavailable);
  Status pull = provider->PullImage("127.0.0.1:5000/jlrec-lab/base:ptest-absent");
  CHECK_FALSE(pull.ok());
  CHECK_THAT(pull.message(), Catch::Contains("ptest-absent"));
  CHECK_THAT(pull.message(), Catch::Contains("not found") || Catch::Contains("unknown"));
}

// The health, restart, rename and file-time tests below label their containers with an
// owner of their own (and name them ptest_hc_*), so that they never remove, nor are
// removed by, the containers of the tests above when both run at once.
constexpr const char* kHealthOwner = "provider_health_lab_test";

void RemoveHealthTestContainers(int host) {
  auto ids = LabDocker(
      host, {"ps", "-aq", "--filter", std::string("label=") + kOwnerLabel + "=" + kHealthOwner});
  std::istringstream in(ids.out);
  std::vector<std::string> args{"rm", "-f"};
  for (std::string id; in >> id;) args.push_back(id);
  if (args.size() > 2) LabDocker(host, args);
}

CreateContainerRequest HealthTestContainer(const std::string& name, const std::string& image) {
  CreateContainerRequest req = TestContainer(name, image);
  req.spec.labels = {{kOwnerLabel, kHealthOwner}};
  return req;
}

// Inspects `id` every 200 ms until `done` holds or `timeout` passes; the last inspect.
LiveContainer InspectUntil(Provider& provider, const std::string& id,
                           const std::function<bool(const LiveContainer&)>& done,
                           std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto c = provider.InspectContainer(id);
    INFO(c.status().ToString());
    REQUIRE(c.ok());
    if (done(*c) || std::chrono::steady_clock::now() > deadline) return *c;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

TEST_CASE("a health check reads back as created, and Docker probes it: healthy or unhealthy",
          "[lab][provider][provider-health]") {
  LabEnv env = ReadLabEnv();
  RemoveHealthTestContainers(1);
  Finally cleanup([] { RemoveHealthTestContainers(1); });
  auto provider = OpenLab(1);
  EnsureImage(*provider, env.image1);

  // Short periods so that each verdict takes a few seconds: StartPeriod (= timeout) 1 s,
  // then a probe every 300 ms, two failures in a row make it unhealthy.
  CreateContainerRequest good = HealthTestContainer("ptest_hc_good", env.image1);
  good.spec.healthcheck = Healthcheck{{"test", "-x", "/workspace/jiliang_system/deploy/run.sh"},
                                      std::chrono::milliseconds(1000),
                                      std::chrono::milliseconds(300),
                                      2};
  CreateContainerRequest bad = HealthTestContainer("ptest_hc_bad", env.image1);
  bad.spec.healthcheck = Healthcheck{{"/bin/sh", "-c", "exit 1"},
                                     std::chrono::milliseconds(1000),
                                     std::chrono::milliseconds(300),
                                     2};
  auto good_id = provider->CreateContainer(good);
  INFO(good_id.status().ToString());
  REQUIRE(good_id.ok());
  auto bad_id = provider->CreateContainer(bad);
  REQUIRE(bad_id.ok());

  auto created = provider->InspectContainer(*good_id);
  REQUIRE(created.ok());
  CHECK(created->spec == good.spec);
  REQUIRE(created->spec.healthcheck);
  CHECK(*created->spec.healthcheck == *good.spec.healthcheck);
  CHECK(created->health.empty());  // no probe before the first start
  // Without a health check of its own, the container has none (the image has none).
  auto plain_id = provider->CreateContainer(HealthTestContainer("ptest_hc_plain", env.image1));
  REQUIRE(plain_id.ok());
  CHECK_FALSE(provider->InspectContainer(*plain_id)->spec.healthcheck);

  REQUIRE(provider->StartContainer(*good_id).ok());
  REQUIRE(provider->StartContainer(*bad_id).ok());
  auto healthy = InspectUntil(
      *provider, *good_id, [](const LiveContainer& c) { return c.health == "healthy"; },
      std::chrono::seconds(30));
  CHECK(healthy.health == "healthy");
  auto unhealthy = InspectUntil(
      *provider, *bad_id, [](const LiveContainer& c) { return c.health == "unhealthy"; },
      std::chrono::seconds(30));
  CHECK(unhealthy.health == "unhealthy");
  CHECK(unhealthy.running());  // Docker only reports; it does not act on the verdict
  CHECK(unhealthy.spec == bad.spec);
}

TEST_CASE("a process that keeps exiting under restart=always shows restarts and its exit code",
          "[lab][provider][provider-health]") {
  LabEnv env = ReadLabEnv();
  RemoveHealthTestContainers(1);
  Finally cleanup([] { RemoveHealthTestContainers(1); });
  auto provider = OpenLab(1);
  EnsureImage(*provider, env.image1);

  CreateContainerRequest req = HealthTestContainer("ptest_hc_crashloop", env.image1);
  // Runs a second before each exit, so a fresh start is observably at restart count 0.
  req.spec.command = {"/bin/sh", "-c", "sleep 1; exit 3"};
  req.spec.restart = "always";
  auto id = provider->CreateContainer(req);
  INFO(id.status().ToString());
  REQUIRE(id.ok());
  REQUIRE(provider->StartContainer(*id).ok());
  auto fresh = provider->InspectContainer(*id);
  REQUIRE(fresh.ok());
  CHECK(fresh->restart_count == 0);
  CHECK(fresh->exit_code == 0);

  auto looping = InspectUntil(
      *provider, *id, [](const LiveContainer& c) { return c.restart_count >= 2; },
      std::chrono::seconds(30));
  CHECK(looping.restart_count >= 2);
  CHECK(looping.exit_code == 3);
  CHECK(looping.spec == req.spec);

  // A start through the API starts the count again.
  REQUIRE(provider->StopContainer(*id, std::chrono::seconds(1)).ok());
  auto stopped = provider->InspectContainer(*id);
  REQUIRE(stopped.ok());
  CHECK(stopped->restart_count >= 2);  // a stop leaves the count
  REQUIRE(provider->StartContainer(*id).ok());
  auto restarted = provider->InspectContainer(*id);
  REQUIRE(restarted.ok());
  CHECK(restarted->restart_count == 0);
}

TEST_CASE("a container is renamed, running or not; a taken name is a conflict",
          "[lab][provider][provider-health]") {
  LabEnv env = ReadLabEnv();
  RemoveHealthTestContainers(1);
  Finally cleanup([] { RemoveHealthTestContainers(1); });
  auto provider = OpenLab(1);
  EnsureImage(*provider, env.image1);
  auto a = provider->CreateContainer(HealthTestContainer("ptest_hc_ren_a", env.image1));
  INFO(a.status().ToString());
  REQUIRE(a.ok());
  auto b = provider->CreateContainer(HealthTestContainer("ptest_hc_ren_b", env.image1));
  REQUIRE(b.ok());

  REQUIRE(provider->RenameContainer(*a, "ptest_hc_ren_c").ok());
  CHECK(provider->InspectContainer("ptest_hc_ren_a").status().code() == Status::Code::kNotFound);
  auto renamed = provider->InspectContainer("ptest_hc_ren_c");
  REQUIRE(renamed.ok());
  CHECK(renamed->id == *a);

  REQUIRE(provider->StartContainer(*a).ok());
  REQUIRE(provider->RenameContainer("ptest_hc_ren_c", "ptest_hc_ren_a").ok());
  auto running = provider->InspectContainer("ptest_hc_ren_a");
  REQUIRE(running.ok());
  CHECK(running->running());

  Status taken = provider->RenameContainer(*a, "ptest_hc_ren_b");
  CHECK(taken.code() == Status::Code::kConflict);
  CHECK_THAT(taken.message(), Catch::Contains("is already in use"));
  CHECK(provider->InspectContainer(*b)->name == "ptest_hc_ren_b");  // untouched
  CHECK(provider->RenameContainer("ptest_hc_no_such", "ptest_hc_ren_x").code() ==
        Status::Code::kNotFound);
  CHECK(provider->RenameContainer(*a, "ptest_hc_ren_a").code() ==
        Status::Code::kInvalidArgument);  // Docker refuses a rename to the current name
}

TEST_CASE("an uploaded file's mtime compares truthfully with the container's StartedAt",
          "[lab][provider][provider-health]") {
  LabEnv env = ReadLabEnv();
  RemoveHealthTestContainers(1);
  Finally cleanup([] { RemoveHealthTestContainers(1); });
  auto provider = OpenLab(1);
  EnsureImage(*provider, env.image1);
  auto id = provider->CreateContainer(HealthTestContainer("ptest_hc_mtime", env.image1));
  INFO(id.status().ToString());
  REQUIRE(id.ok());
  REQUIRE(provider->StartContainer(*id).ok());

  auto modified_at = [&] {
    auto stat = provider->StatFile(*id, "/run.sh");
    INFO(stat.status().ToString());
    REQUIRE(stat.ok());
    REQUIRE(stat->has_value());
    auto mtime = FileModifiedAt(**stat);
    INFO(**stat);
    REQUIRE(mtime);
    return *mtime;
  };
  auto started_at = [&] {
    auto c = provider->InspectContainer(*id);
    REQUIRE(c.ok());
    auto started = ParseRfc3339(c->started_at);
    INFO(c->started_at);
    REQUIRE(started);
    return *started;
  };

  // Written, then restarted: the process runs what was written.
  REQUIRE(provider->UploadFile(*id, "/run.sh", "#!/bin/sh\nexec sleep 1000\n", 0755).ok());
  REQUIRE(provider->RestartContainer(*id, std::chrono::seconds(10)).ok());
  const std::int64_t first_start = started_at();
  CHECK(modified_at() <= first_start);

  // Written after the start: a restart is pending. The mtime is whole seconds and errs early
  // by up to a second more (the Date header it comes from is whole seconds too), so the
  // write must come over two seconds after the start to be told apart.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  REQUIRE(provider->UploadFile(*id, "/run.sh", "#!/bin/sh\nexec sleep 1001\n", 0755).ok());
  CHECK(modified_at() > first_start);
  CHECK(started_at() == first_start);
}

TEST_CASE("a tag or repository the registry does not have resolves to kNotFound",
          "[lab][provider][provider-health]") {
  LabEnv env = ReadLabEnv();
  auto provider = OpenLab(1);
  const std::string repository = env.image1.substr(0, env.image1.rfind(':'));
  for (const std::string& missing :
       {repository + ":no-such-tag", repository + "-ptest-no-such-repo:1"}) {
    auto digest = provider->ResolveImageDigest(missing);
    INFO(missing << ": " << digest.status().ToString());
    CHECK(digest.status().code() == Status::Code::kNotFound);
    CHECK_THAT(digest.status().message(), Catch::Contains("manifest unknown"));
  }
}

TEST_CASE("an unknown host key is refused with a hint, and accepted on request",
          "[lab][provider]") {
  LabEnv env = ReadLabEnv();
  TempDir dir;
  const std::string known_hosts = dir.path() + "/known_hosts";
  std::ofstream(known_hosts).close();
  HostConnection host = LabConnection(env, 1);
  host.known_hosts = known_hosts;
  auto factory = MakeSshProviderFactory();

  auto refused = factory->Open(host, {});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Status::Code::kUnavailable);
  CHECK_THAT(refused.status().message(), Catch::Contains("unknown host key"));
  CHECK_THAT(refused.status().message(), Catch::Contains("--accept-new-host-keys"));
  CHECK_THAT(refused.status().message(),
             Catch::Contains(Fingerprint(env.dir + "/h1/ssh_host_ed25519_key.pub")));
  CHECK(ReadText(known_hosts).empty());

  ConnectOptions accept;
  accept.accept_new_host_keys = true;
  auto accepted = factory->Open(host, accept);
  INFO(accepted.status().ToString());
  REQUIRE(accepted.ok());
  CHECK_THAT(ReadText(known_hosts), Catch::StartsWith("[127.0.0.2]:2222 ssh-ed25519 "));
  auto again = factory->Open(host, {});
  CHECK(again.ok());

  // ConnectOptions::known_hosts overrides the host's own setting.
  ConnectOptions empty_file;
  empty_file.known_hosts = dir.path() + "/absent_known_hosts";
  CHECK_FALSE(factory->Open(LabConnection(env, 1), empty_file).ok());
}

TEST_CASE("a changed host key is refused, naming both fingerprints", "[lab][provider]") {
  LabEnv env = ReadLabEnv();
  TempDir dir;
  auto keygen = RunProcess({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "impostor", "-f",
                            dir.path() + "/impostor"});
  REQUIRE(keygen.exit_code == 0);
  std::istringstream pub(ReadText(dir.path() + "/impostor.pub"));
  std::string type, key;
  pub >> type >> key;
  const std::string known_hosts = dir.path() + "/known_hosts";
  std::ofstream(known_hosts) << "[127.0.0.2]:2222 " << type << " " << key << "\n";

  HostConnection host = LabConnection(env, 1);
  host.known_hosts = known_hosts;
  ConnectOptions accept;
  accept.accept_new_host_keys = true;  // never applies to a changed key
  auto refused = MakeSshProviderFactory()->Open(host, accept);
  REQUIRE_FALSE(refused.ok());
  const std::string message = refused.status().message();
  CHECK(refused.status().code() == Status::Code::kUnavailable);
  CHECK_THAT(message, Catch::Contains("HOST KEY MISMATCH"));
  CHECK_THAT(message, Catch::Contains(Fingerprint(dir.path() + "/impostor.pub")));
  CHECK_THAT(message, Catch::Contains(Fingerprint(env.dir + "/h1/ssh_host_ed25519_key.pub")));
  CHECK_THAT(message, Catch::Contains(known_hosts + ":1"));
  CHECK(ReadText(known_hosts).find('\n') == ReadText(known_hosts).size() - 1);  // not appended
}

TEST_CASE("a refused login names what was tried", "[lab][provider]") {
  LabEnv env = ReadLabEnv();
  TempDir dir;
  REQUIRE(
      RunProcess({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir.path() + "/stranger"})
          .exit_code == 0);
  HostConnection host = LabConnection(env, 1);
  host.identity_file = dir.path() + "/stranger";
  auto refused = MakeSshProviderFactory()->Open(host, {});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Status::Code::kUnavailable);
  CHECK_THAT(refused.status().message(), Catch::Contains("authentication refused"));
  CHECK_THAT(refused.status().message(), Catch::Contains(dir.path() + "/stranger"));
}

TEST_CASE("a stopped host is unavailable with the reason", "[lab][provider]") {
  REQUIRE(LabCommand({"stop-host", "3"}).exit_code == 0);
  Finally restart([] { LabCommand({"start-host", "3"}); });
  auto opened = MakeSshProviderFactory()->Open(LabConnection(ReadLabEnv(), 3), {});
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.status().code() == Status::Code::kUnavailable);
  CHECK_THAT(opened.status().message(), Catch::StartsWith("lab3: "));
  CHECK_THAT(opened.status().message(), Catch::Contains("root@127.0.0.4:2222"));
  CHECK_THAT(opened.status().message(), Catch::Contains("onnection refused"));
}

TEST_CASE("a hung host times out instead of blocking", "[lab][provider]") {
  REQUIRE(LabCommand({"pause-host", "3"}).exit_code == 0);
  Finally resume([] { LabCommand({"resume-host", "3"}); });
  ConnectOptions options;
  options.connect_timeout = std::chrono::milliseconds(1500);
  auto opened = MakeSshProviderFactory()->Open(LabConnection(ReadLabEnv(), 3), options);
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.status().code() == Status::Code::kUnavailable);
  CHECK_THAT(opened.status().message(), Catch::Contains("no SSH handshake within 1.5s"));
}

TEST_CASE("a stopped dockerd is a docker-level error", "[lab][provider]") {
  auto provider = OpenLab(3);  // opened while the daemon runs
  REQUIRE(provider->ListContainers("ptest", {}).ok());
  REQUIRE(LabCommand({"stop-docker", "3"}).exit_code == 0);
  Finally restart([] { LabCommand({"start-docker", "3"}); });

  auto list = provider->ListContainers("ptest", {});
  REQUIRE_FALSE(list.ok());
  CHECK(list.status().code() == Status::Code::kUnavailable);
  CHECK_THAT(list.status().message(), Catch::Contains("docker socket"));
  CHECK_THAT(list.status().message(), Catch::Contains("is dockerd running"));

  auto opened = MakeSshProviderFactory()->Open(LabConnection(ReadLabEnv(), 3), {});
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.status().code() == Status::Code::kUnavailable);
  CHECK_THAT(opened.status().message(), Catch::Contains("GET /version"));
  CHECK_THAT(opened.status().message(), Catch::Contains("is dockerd running"));
}

// A unix socket that answers GET /version like Docker and never answers anything else:
// a daemon that hangs mid-run.
class HangingDaemon {
 public:
  explicit HangingDaemon(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof addr.sun_path);
    std::copy(path.begin(), path.end(), addr.sun_path);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(listen(fd_, 8) == 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~HangingDaemon() {
    stop_ = true;
    thread_.join();
    for (int c : clients_) close(c);
    close(fd_);
    unlink(path_.c_str());
  }

 private:
  void Serve() {
    std::vector<std::string> pending;
    while (!stop_) {
      std::vector<pollfd> fds{{fd_, POLLIN, 0}};
      for (int c : clients_) fds.push_back({c, POLLIN, 0});
      if (poll(fds.data(), fds.size(), 50) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        int c = accept(fd_, nullptr, nullptr);
        if (c >= 0) {
          clients_.push_back(c);
          pending.emplace_back();
        }
      }
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (!(fds[i].revents & POLLIN)) continue;
        char buf[4096];
        ssize_t n = read(fds[i].fd, buf, sizeof buf);
        if (n <= 0) continue;
        pending[i - 1].append(buf, static_cast<std::size_t>(n));
        auto end = pending[i - 1].find("\r\n\r\n");
        if (end == std::string::npos) continue;
        if (pending[i - 1].rfind("GET /version ", 0) == 0) {
          std::string body = R"({"ApiVersion":"1.41","MinAPIVersion":"1.12","Version":"hang"})";
          std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                              "\r\n\r\n" + body;
          (void)!write(fds[i].fd, reply.data(), reply.size());
        }
        pending[i - 1].erase(0, end + 4);
      }
    }
  }

  std::string path_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::vector<int> clients_;
  std::thread thread_;
};

TEST_CASE("a request to a hung daemon times out instead of blocking", "[lab][provider]") {
  TempDir dir;
  HangingDaemon daemon(dir.path() + "/docker.sock");
  HostConnection host = LabConnection(ReadLabEnv(), 2);
  host.docker_socket = dir.path() + "/docker.sock";
  ConnectOptions options;
  options.request_timeout = std::chrono::milliseconds(1000);
  auto provider = MakeSshProviderFactory()->Open(host, options);
  INFO(provider.status().ToString());
  REQUIRE(provider.ok());
  auto list = (*provider)->ListContainers("ptest", {});
  CHECK(list.status().code() == Status::Code::kTimeout);
  CHECK_THAT(list.status().message(), Catch::Contains("GET /containers/json"));
  CHECK_THAT(list.status().message(), Catch::Contains("within 1s"));
}

TEST_CASE("one provider serves overlapping requests from several threads", "[lab][provider]") {
  LabEnv env = ReadLabEnv();
  auto provider = OpenLab(2);
  EnsureImage(*provider, env.image1);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        bool ok = (t % 2 == 0) ? provider->ListContainers("ptest", {"ptest_x"}).ok()
                               : provider->HasImage(env.image1).ok();
        if (!ok) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
}

// An sshd of this test's own on 127.0.0.1:2298 that forbids stream-local forwarding, so
// the provider must fall back to `docker system dial-stdio`.
class NoForwardingSshd {
 public:
  NoForwardingSshd(const std::string& dir, const LabEnv& env) : dir_(dir) {
    REQUIRE(RunProcess({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir + "/host_key"})
                .exit_code == 0);
    std::ofstream(dir + "/sshd_config")
        << "ListenAddress 127.0.0.1\nPort 2298\nHostKey " << dir << "/host_key\n"
        << "PidFile " << dir << "/sshd.pid\nAuthorizedKeysFile " << env.dir
        << "/client/authorized_keys\nPermitRootLogin prohibit-password\n"
        << "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
        << "StrictModes no\nAllowStreamLocalForwarding no\nAllowTcpForwarding no\n"
        << "AcceptEnv DOCKER_HOST\nLogLevel ERROR\n";
    std::istringstream pub(ReadText(dir + "/host_key.pub"));
    std::string type, key;
    pub >> type >> key;
    std::ofstream(dir + "/known_hosts") << "[127.0.0.1]:2298 " << type << " " << key << "\n";
    std::vector<std::string> args{"/usr/sbin/sshd", "-D", "-e", "-f", dir + "/sshd_config"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    const std::string log = dir + "/sshd.log";
    posix_spawn_file_actions_addopen(&files, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int spawned = posix_spawn(&pid_, argv[0], &files, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&files);
    REQUIRE(spawned == 0);
    // Ready once it accepts TCP connections.
    for (int attempt = 0; attempt < 100 && !Listening(); ++attempt)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    REQUIRE(Listening());
  }
  ~NoForwardingSshd() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  std::string known_hosts() const { return dir_ + "/known_hosts"; }

 private:
  static bool Listening() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(2298);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    return ok;
  }
  std::string dir_;
  pid_t pid_ = -1;
};

TEST_CASE("without stream-local forwarding, docker system dial-stdio carries the API",
          "[lab][provider]") {
  LabEnv env = ReadLabEnv();
  TempDir dir;
  NoForwardingSshd sshd(dir.path(), env);
  HostConnection host = LabConnection(env, 1);
  host.address = "127.0.0.1";
  host.port = 2298;
  host.known_hosts = sshd.known_hosts();

  auto session = SshSession::Connect(host, {});
  INFO(session.status().ToString());
  REQUIRE(session.ok());
  auto stream =
      (*session)->OpenUnixSocketStream(host.docker_socket, DeadlineAfter(std::chrono::seconds(10)));
  INFO(stream.status().ToString());
  REQUIRE(stream.ok());
  HttpConnection connection(std::move(*stream), "docker");
  HttpExchangeOptions exchange;
  exchange.deadline = DeadlineAfter(std::chrono::seconds(10));
  auto ping = connection.Exchange(HttpRequest{"GET", "/_ping", {}, ""}, exchange);
  INFO(ping.status().ToString());
  REQUIRE(ping.ok());
  CHECK(ping->status == 200);
  CHECK(ping->body == "OK");
  CHECK((*session)->uses_dial_stdio());

  auto provider = MakeSshProviderFactory()->Open(host, {});
  INFO(provider.status().ToString());
  REQUIRE(provider.ok());
  auto list = (*provider)->ListContainers("ptest", {});
  INFO(list.status().ToString());
  CHECK(list.ok());
  auto has = (*provider)->HasImage(env.image1);
  CHECK(has.ok());
}

// Not a test: `test_lab "[.bench]"` prints how long opening and listing takes.
TEST_CASE("bench: open every lab host in parallel and list", "[.bench][provider]") {
  LabEnv env = ReadLabEnv();
  using Clock = std::chrono::steady_clock;
  auto ms = [](Clock::duration d) {
    return std::chrono::duration_cast<std::chrono::microseconds>(d).count() / 1000.0;
  };
  auto factory = MakeSshProviderFactory();
  {
    auto t0 = Clock::now();
    auto provider = factory->Open(LabConnection(env, 1), {});
    REQUIRE(provider.ok());
    auto t1 = Clock::now();
    REQUIRE((*provider)->ListContainers("ptest", {}).ok());
    auto t2 = Clock::now();
    REQUIRE((*provider)->ListContainers("ptest", {}).ok());
    auto t3 = Clock::now();
    WARN("lab1: open (TCP+SSH+auth+channel+/version) "
         << ms(t1 - t0) << " ms, first list " << ms(t2 - t1) << " ms, second list " << ms(t3 - t2)
         << " ms");
  }
  const int hosts = env.hosts;
  std::vector<double> each(static_cast<std::size_t>(hosts));
  std::vector<std::size_t> counts(static_cast<std::size_t>(hosts));
  std::atomic<int> failures{0};
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int n = 1; n <= hosts; ++n) {
    threads.emplace_back([&, n] {
      auto start = Clock::now();
      auto provider = factory->Open(LabConnection(env, n), {});
      if (!provider.ok()) {
        ++failures;
        return;
      }
      auto list = (*provider)->ListContainers("ptest", {});
      if (!list.ok())
        ++failures;
      else
        counts[static_cast<std::size_t>(n - 1)] = list->size();
      each[static_cast<std::size_t>(n - 1)] = ms(Clock::now() - start);
    });
  }
  for (auto& t : threads) t.join();
  double wall = ms(Clock::now() - t0);
  CHECK(failures == 0);
  std::ostringstream per_host;
  for (double e : each) per_host << " " << e;
  WARN(hosts << " hosts in parallel, open + list: wall " << wall
             << " ms; per host (ms):" << per_host.str());
}

}  // namespace
}  // namespace jlrec
