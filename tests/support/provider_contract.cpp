#include "support/provider_contract.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <ctime>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "model/image_reference.h"
#include "model/port_spec.h"
#include "model/rfc3339.h"

namespace jlrec::testing {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Checks that `status` (a Status) has code `expected` (a Status::Code), printing the whole
// status when it does not.
#define CHECK_STATUS_CODE(status, expected)     \
  do {                                          \
    const Status checked_status = (status);     \
    INFO(checked_status.ToString());            \
    CHECK(checked_status.code() == (expected)); \
  } while (false)

// Requires `status` to be ok, printing it when it is not.
#define REQUIRE_OK(status)                   \
  do {                                       \
    const Status required_status = (status); \
    INFO(required_status.ToString());        \
    REQUIRE(required_status.ok());           \
  } while (false)

constexpr Status::Code kOk = Status::Code::kOk;
constexpr Status::Code kNotFound = Status::Code::kNotFound;
constexpr Status::Code kConflict = Status::Code::kConflict;
constexpr Status::Code kInvalidArgument = Status::Code::kInvalidArgument;
constexpr Status::Code kTimeout = Status::Code::kTimeout;

const seconds kGrace{5};
const milliseconds kExecTimeout{30000};

// A request for container prefix()+`suffix`: the serving command, no network, no restarts,
// the run label.
CreateContainerRequest Request(ProviderUnderTest& put, const std::string& suffix) {
  CreateContainerRequest req;
  req.name = put.prefix() + suffix;
  req.spec.image = put.image();
  req.spec.command = put.serving_command();
  req.spec.network_mode = "none";
  req.spec.restart = "no";
  req.spec.labels = {{kContractRunLabel, put.prefix()}};
  return req;
}

// Creates `req`; its id.
std::string Create(ProviderUnderTest& put, const CreateContainerRequest& req) {
  Result<std::string> id = put.provider().CreateContainer(req);
  INFO("create " << req.name << ": " << id.status().ToString());
  REQUIRE(id.ok());
  return *id;
}

// Creates prefix()+`suffix` with these bookkeeping labels; its id.
std::string CreateLabelled(ProviderUnderTest& put, const std::string& suffix,
                           std::map<std::string, std::string> jlrec_labels) {
  CreateContainerRequest req = Request(put, suffix);
  req.jlrec_labels = std::move(jlrec_labels);
  return Create(put, req);
}

LiveContainer Inspect(ProviderUnderTest& put, const std::string& id_or_name) {
  Result<LiveContainer> c = put.provider().InspectContainer(id_or_name);
  INFO("inspect " << id_or_name << ": " << c.status().ToString());
  REQUIRE(c.ok());
  return *c;
}

// The RFC 3339 time `text` in nanoseconds; fails the test when it does not parse.
std::int64_t Nanos(const std::string& text) {
  std::optional<std::int64_t> nanos = ParseRfc3339(text);
  INFO("not RFC 3339: '" << text << "'");
  REQUIRE(nanos);
  return *nanos;
}

std::int64_t StartedAt(ProviderUnderTest& put, const std::string& id) {
  return Nanos(Inspect(put, id).started_at);
}

// StatFile(`id`, `path`), which must find the file.
std::string StatKey(ProviderUnderTest& put, const std::string& id, const std::string& path) {
  Result<std::optional<std::string>> stat = put.provider().StatFile(id, path);
  INFO("stat " << path << ": " << stat.status().ToString());
  REQUIRE(stat.ok());
  REQUIRE(stat->has_value());
  return **stat;
}

// The mtime in `key`; fails the test when it has none.
std::int64_t ModifiedAt(const std::string& key) {
  std::optional<std::int64_t> mtime = FileModifiedAt(key);
  INFO("no RFC 3339 mtime in the stat key '" << key << "'");
  REQUIRE(mtime);
  return *mtime;
}

std::optional<std::string> Read(ProviderUnderTest& put, const std::string& id,
                                const std::string& path) {
  Result<std::optional<std::string>> content = put.provider().ReadFile(id, path);
  INFO("read " << path << ": " << content.status().ToString());
  REQUIRE(content.ok());
  return *content;
}

Result<int> Exec(ProviderUnderTest& put, const std::string& id,
                 const std::vector<std::string>& argv) {
  return put.provider().Exec(id, argv, kExecTimeout);
}

// The exit code of `argv` in `id`, which must run.
int ExitCodeOf(ProviderUnderTest& put, const std::string& id,
               const std::vector<std::string>& argv) {
  Result<int> code = Exec(put, id, argv);
  INFO("exec " << argv.front() << ": " << code.status().ToString());
  REQUIRE(code.ok());
  return *code;
}

std::vector<std::string> Shell(const std::string& script) { return {"/bin/sh", "-c", script}; }

// Inspects `id` until `done` holds, letting time pass in between (at most 150 times); the
// last inspect.
LiveContainer AwaitContainer(ProviderUnderTest& put, const std::string& id,
                             const std::function<bool(const LiveContainer&)>& done) {
  LiveContainer c = Inspect(put, id);
  for (int moment = 0; moment < 150 && !done(c); ++moment) {
    put.LetTimePass();
    c = Inspect(put, id);
  }
  return c;
}

std::set<std::string> NamesOf(const std::vector<LiveContainer>& list) {
  std::set<std::string> names;
  for (const auto& c : list) names.insert(c.name);
  return names;
}

// ListContainers(`project`, `names`), which must answer.
std::vector<LiveContainer> List(ProviderUnderTest& put, const std::string& project,
                                const std::vector<std::string>& names) {
  Result<std::vector<LiveContainer>> list = put.provider().ListContainers(project, names);
  INFO("list " << project << ": " << list.status().ToString());
  REQUIRE(list.ok());
  return *list;
}

bool IsLowerHex(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

void CheckListContainers(ProviderUnderTest& put) {
  Provider& p = put.provider();
  const std::string project = put.prefix() + "project";
  const std::string other_project = put.prefix() + "other";
  const std::string other_host = p.host() + "-other";
  auto name = [&](const std::string& suffix) { return put.prefix() + suffix; };
  const std::string prev = kPreviousSuffix;

  const std::string mine = CreateLabelled(put, "mine", {{labels::kProject, project}});
  CreateLabelled(put, "here", {{labels::kProject, project}, {labels::kHost, p.host()}});
  CreateLabelled(put, "elsewhere", {{labels::kProject, project}, {labels::kHost, other_host}});
  CreateLabelled(put, "theirs", {{labels::kProject, other_project}});
  // Unlabelled: made by hand, or an interrupted replace of a container jlrec did not manage.
  for (const char* suffix : {"hand", "hand.jlrec-prev", "hand2", "hand.jlrec-previous",
                             "gone.jlrec-prev", "mine.jlrec-prev"})
    CreateLabelled(put, suffix, {});
  CreateContainerRequest near_miss = Request(put, "");
  near_miss.name = "x" + name("hand");  // holds the wanted name, but is not it
  Create(put, near_miss);

  const std::set<std::string> of_project = {name("mine"), name("here")};
  auto with = [&](std::set<std::string> names) {
    names.insert(of_project.begin(), of_project.end());
    return names;
  };

  // The project's containers whose jlrec.host is this host or absent.
  CHECK(NamesOf(List(put, project, {})) == of_project);
  // Plus the wanted names and NAME.jlrec-prev, exactly, labelled or not.
  CHECK(NamesOf(List(put, project, {name("hand")})) == with({name("hand"), name("hand") + prev}));
  CHECK(NamesOf(List(put, put.prefix() + "unrelated", {name("hand")})) ==
        std::set<std::string>{name("hand"), name("hand") + prev});
  // A wanted name that is missing still finds its NAME.jlrec-prev.
  CHECK(NamesOf(List(put, project, {name("gone")})) == with({name("gone") + prev}));
  // A wanted name is found whatever its project and jlrec.host.
  CHECK(NamesOf(List(put, project, {name("elsewhere"), name("theirs")})) ==
        with({name("elsewhere"), name("theirs")}));
  // Nothing for a project without containers and names nobody holds.
  CHECK(List(put, put.prefix() + "nothing-here", {name("no_such_name")}).empty());

  // Every listed container is fully inspected, without a script digest.
  for (const LiveContainer& listed : List(put, project, {name("hand")})) {
    INFO(listed.name);
    const LiveContainer inspected = Inspect(put, listed.id);
    CHECK(listed.id == inspected.id);
    CHECK(listed.name == inspected.name);
    CHECK(listed.image_id == inspected.image_id);
    CHECK(listed.spec == inspected.spec);
    CHECK(listed.jlrec_labels == inspected.jlrec_labels);
    CHECK(listed.state == inspected.state);
    CHECK(listed.created == inspected.created);
    CHECK_FALSE(listed.script_digest);
  }
  CHECK(List(put, project, {}).front().spec == Request(put, "mine").spec);

  // A wanted name held by a stopped labelled container still finds NAME.jlrec-prev ...
  CHECK(NamesOf(List(put, project, {name("mine")})) == with({name("mine") + prev}));
  // ... and once it runs, looking for the unlabelled NAME.jlrec-prev is optional.
  REQUIRE_OK(p.StartContainer(mine));
  const std::set<std::string> listed = NamesOf(List(put, project, {name("mine")}));
  const std::set<std::string> allowed = with({name("mine") + prev});
  CHECK(std::includes(listed.begin(), listed.end(), of_project.begin(), of_project.end()));
  CHECK(std::includes(allowed.begin(), allowed.end(), listed.begin(), listed.end()));
  REQUIRE_OK(p.StopContainer(mine, kGrace));
}

// ReadContainers(project, names, `known`), which must answer; by container name.
std::map<std::string, ContainerReading> ReadAll(
    ProviderUnderTest& put, const std::string& project,
    const std::unordered_map<std::string, const LiveContainer*>* known, std::int64_t since) {
  ContainerReadRequest request;
  request.project = project;
  request.stat_path = "/run.sh";
  request.known = known;
  request.known_since = since;
  Result<std::vector<ContainerReading>> read = put.provider().ReadContainers(request);
  INFO("read " << project << ": " << read.status().ToString());
  REQUIRE(read.ok());
  std::map<std::string, ContainerReading> out;
  for (ContainerReading& r : *read) out.emplace(r.container.name, std::move(r));
  return out;
}

// What ReadContainers returned of a container agrees with an inspect and a stat of it now.
void CheckReadsAsNow(ProviderUnderTest& put, const ContainerReading& reading) {
  INFO(reading.container.name << (reading.inspected ? " (inspected)" : " (known)"));
  const LiveContainer now = Inspect(put, reading.container.id);
  CHECK(reading.container.name == now.name);
  CHECK(reading.container.image_id == now.image_id);
  CHECK(reading.container.spec == now.spec);
  CHECK(reading.container.jlrec_labels == now.jlrec_labels);
  CHECK(reading.container.state == now.state);
  CHECK(reading.container.started_at == now.started_at);
  CHECK(reading.container.restart_count == now.restart_count);
  CHECK_FALSE(reading.container.script_digest);
  Result<std::optional<std::string>> stat = put.provider().StatFile(now.id, "/run.sh");
  REQUIRE(stat.ok());
  CHECK(reading.stat == *stat);
}

void CheckReadContainers(ProviderUnderTest& put) {
  Provider& p = put.provider();
  const std::string project = put.prefix() + "read";
  auto name = [&](const std::string& suffix) { return put.prefix() + suffix; };
  const std::string with_script = CreateLabelled(put, "scripted", {{labels::kProject, project}});
  const std::string without = CreateLabelled(put, "bare", {{labels::kProject, project}});
  REQUIRE_OK(p.StartContainer(with_script));
  REQUIRE_OK(p.StartContainer(without));
  REQUIRE_OK(p.UploadFile(with_script, "/run.sh", "#!/bin/sh\nexit 0\n", 0755));

  const std::int64_t before = std::time(nullptr) - 1;
  auto first = ReadAll(put, project, nullptr, 0);
  REQUIRE(first.size() == 2);
  for (const auto& [n, reading] : first) {
    CHECK(reading.inspected);
    CheckReadsAsNow(put, reading);
  }
  CHECK(first.at(name("scripted")).stat);
  CHECK_FALSE(first.at(name("bare")).stat);
  // Everything ReadContainers returns is what ListContainers returns.
  CHECK(NamesOf(List(put, project, {})) == std::set<std::string>{name("scripted"), name("bare")});

  std::unordered_map<std::string, const LiveContainer*> known;
  for (const auto& [n, reading] : first) known[reading.container.id] = &reading.container;

  SECTION("given the last reading as known, an unchanged host reads the same") {
    for (const auto& [n, reading] : ReadAll(put, project, &known, before))
      CheckReadsAsNow(put, reading);
  }
  SECTION("given the last reading as known, a restart, a stop and a new /run.sh are read") {
    // Docker's StartedAt has nanoseconds, but let a second pass so no clock can tie.
    for (int i = 0; i < 10; ++i) put.LetTimePass();
    REQUIRE_OK(p.RestartContainer(with_script, kGrace));
    REQUIRE_OK(p.StopContainer(without, kGrace));
    REQUIRE_OK(p.UploadFile(with_script, "/run.sh", "#!/bin/sh\nexit 1\n", 0700));
    auto again = ReadAll(put, project, &known, before);
    REQUIRE(again.size() == 2);
    for (const auto& [n, reading] : again) CheckReadsAsNow(put, reading);
    CHECK(again.at(name("scripted")).container.started_at !=
          first.at(name("scripted")).container.started_at);
    CHECK(again.at(name("bare")).container.state != "running");
  }
  SECTION("given the last reading as known, a /run.sh written without a restart is read anew") {
    for (int i = 0; i < 10; ++i) put.LetTimePass();
    REQUIRE_OK(p.UploadFile(with_script, "/run.sh", "#!/bin/sh\nexit 2\n# edited\n", 0700));
    REQUIRE_OK(p.UploadFile(without, "/run.sh", "#!/bin/sh\n", 0755));
    auto again = ReadAll(put, project, &known, before);
    REQUIRE(again.size() == 2);
    for (const auto& [n, reading] : again) CheckReadsAsNow(put, reading);
    CHECK(again.at(name("scripted")).stat != first.at(name("scripted")).stat);
    CHECK(again.at(name("bare")).stat);
  }
  SECTION("given the last reading as known, a renamed or removed container is not taken as known") {
    REQUIRE_OK(p.RenameContainer(without, name("renamed")));
    CreateLabelled(put, "late", {{labels::kProject, project}});
    auto again = ReadAll(put, project, &known, before);
    CHECK(again.count(name("bare")) == 0);
    REQUIRE(again.count(name("renamed")) == 1);
    CheckReadsAsNow(put, again.at(name("renamed")));
    REQUIRE(again.count(name("late")) == 1);
    CHECK(again.at(name("late")).inspected);
    REQUIRE_OK(p.StopContainer(with_script, kGrace));
    REQUIRE_OK(p.RemoveContainer(with_script));
    CHECK(ReadAll(put, project, &known, before).count(name("scripted")) == 0);
  }
}

void CheckCreateAndInspect(ProviderUnderTest& put) {
  Provider& p = put.provider();

  SECTION("a created container reads back as its spec, with the jlrec labels apart") {
    CreateContainerRequest req = Request(put, "roundtrip");
    req.spec.volumes = {"/var/tmp:/b", "/tmp:/a:ro"};  // order kept, not sorted
    req.spec.restart = "on-failure:2";
    Result<std::vector<std::string>> ports = CanonicalPorts({"127.0.0.1:18080:80", "9000/udp"});
    REQUIRE(ports.ok());
    req.spec.ports = *ports;
    req.spec.labels["app"] = "round trip";
    req.spec.healthcheck = Healthcheck{Shell("exit 0"), milliseconds(3000), milliseconds(500), 2};
    req.jlrec_labels = {{labels::kProject, put.prefix() + "project"},
                        {labels::kUnit, p.host() + "/" + req.name}};
    const std::string id = Create(put, req);
    CHECK(id.size() == 64);
    CHECK(IsLowerHex(id));

    const LiveContainer created = Inspect(put, id);
    CHECK(created.id == id);
    CHECK(created.name == req.name);
    CHECK(created.spec == req.spec);
    CHECK(created.jlrec_labels == req.jlrec_labels);
    CHECK(created.state == "created");
    CHECK(created.started_at.empty());
    CHECK(created.health.empty());  // no probe before the first start
    CHECK(created.restart_count == 0);
    CHECK(created.exit_code == 0);
    CHECK_THAT(created.image_id, Catch::StartsWith("sha256:"));
    CHECK(Nanos(created.created) > 0);
    CHECK(Inspect(put, req.name).id == id);
  }
  SECTION("an empty command and network mode read back empty (the defaults)") {
    CreateContainerRequest req = Request(put, "defaults");
    req.spec.command.clear();
    req.spec.network_mode.clear();
    const std::string id = Create(put, req);
    const LiveContainer c = Inspect(put, id);
    CHECK(c.spec == req.spec);
    CHECK_FALSE(c.spec.healthcheck);  // none asked for, none in the image
    CHECK(c.jlrec_labels.empty());
  }
  SECTION("a taken name is a conflict that leaves the container alone") {
    CreateContainerRequest req = Request(put, "taken");
    const std::string id = Create(put, req);
    CreateContainerRequest again = req;
    again.spec.labels["second"] = "yes";
    CHECK_STATUS_CODE(p.CreateContainer(again).status(), kConflict);
    const LiveContainer kept = Inspect(put, req.name);
    CHECK(kept.id == id);
    CHECK(kept.spec == req.spec);
  }
  SECTION("an image the host does not have is not found, and nothing is created") {
    CreateContainerRequest req = Request(put, "no_image");
    req.spec.image = put.missing_images().at(0);
    CHECK_STATUS_CODE(p.CreateContainer(req).status(), kNotFound);
    CHECK_STATUS_CODE(p.InspectContainer(req.name).status(), kNotFound);
  }
  SECTION("a spec Docker cannot be asked for is an invalid argument, and nothing is created") {
    // jlrec labels go in jlrec_labels only, user labels in the spec only.
    CreateContainerRequest reserved = Request(put, "reserved");
    reserved.spec.labels[labels::kProject] = "x";
    CreateContainerRequest unprefixed = Request(put, "unprefixed");
    unprefixed.jlrec_labels["app"] = "x";
    CreateContainerRequest restart = Request(put, "restart");
    restart.spec.restart = "sometimes";
    CreateContainerRequest port = Request(put, "port");
    port.spec.ports = {"eighty"};
    CreateContainerRequest check = Request(put, "check");
    check.spec.healthcheck = Healthcheck{};  // no command
    for (const CreateContainerRequest* req : {&reserved, &unprefixed, &restart, &port, &check}) {
      INFO(req->name);
      CHECK_STATUS_CODE(p.CreateContainer(*req).status(), kInvalidArgument);
      CHECK_STATUS_CODE(p.InspectContainer(req->name).status(), kNotFound);
    }
  }
  SECTION("an invalid container name is refused") {
    for (const std::string& bad : {std::string(), put.prefix() + " bad", "_" + put.prefix()}) {
      INFO("'" << bad << "'");
      CreateContainerRequest req = Request(put, "");
      req.name = bad;
      CHECK_STATUS_CODE(p.CreateContainer(req).status(), kInvalidArgument);
    }
  }
  SECTION("a container that does not exist is not found") {
    CHECK_STATUS_CODE(p.InspectContainer(put.prefix() + "no_such").status(), kNotFound);
  }
}

void CheckLifecycle(ProviderUnderTest& put) {
  Provider& p = put.provider();
  const CreateContainerRequest req = Request(put, "life");
  const std::string id = Create(put, req);
  const std::int64_t created = Nanos(Inspect(put, id).created);

  SECTION("start, stop and restart are idempotent as promised; remove refuses a running one") {
    REQUIRE_OK(p.StopContainer(id, kGrace));  // never started: already stopped
    CHECK(Inspect(put, id).state == "created");

    REQUIRE_OK(p.StartContainer(id));
    LiveContainer running = Inspect(put, id);
    CHECK(running.running());
    const std::int64_t started = Nanos(running.started_at);
    CHECK(started >= created);
    CHECK_STATUS_CODE(p.StartContainer(id), kOk);  // already running: nothing happens
    CHECK(Inspect(put, id).started_at == running.started_at);

    CHECK_STATUS_CODE(p.RemoveContainer(id), kConflict);
    CHECK(Inspect(put, id).running());

    REQUIRE_OK(p.StopContainer(id, kGrace));
    const LiveContainer stopped = Inspect(put, id);
    CHECK(stopped.state == "exited");
    CHECK(stopped.exit_code == 0);                        // the serving command exits 0 on SIGTERM
    CHECK_STATUS_CODE(p.StopContainer(id, kGrace), kOk);  // already stopped

    REQUIRE_OK(p.RestartContainer(id, kGrace));  // a stopped one starts
    CHECK(Inspect(put, id).running());
    const std::int64_t restarted = StartedAt(put, id);
    CHECK(restarted > started);
    REQUIRE_OK(p.RestartContainer(id, kGrace));  // a running one stops, then starts
    CHECK(Inspect(put, id).running());
    CHECK(StartedAt(put, id) > restarted);

    REQUIRE_OK(p.StopContainer(id, kGrace));
    REQUIRE_OK(p.RemoveContainer(id));
    CHECK_STATUS_CODE(p.InspectContainer(id).status(), kNotFound);
    CHECK_STATUS_CODE(p.InspectContainer(req.name).status(), kNotFound);
    CHECK_STATUS_CODE(p.RemoveContainer(id), kOk);  // already gone
    CHECK_STATUS_CODE(p.RemoveContainer(req.name), kOk);
  }
  SECTION("a container that was never started can be removed") {
    REQUIRE_OK(p.RemoveContainer(req.name));
    CHECK_STATUS_CODE(p.InspectContainer(id).status(), kNotFound);
  }
  SECTION("start, stop and restart of a container that does not exist are not found") {
    const std::string none = put.prefix() + "no_such";
    CHECK_STATUS_CODE(p.StartContainer(none), kNotFound);
    CHECK_STATUS_CODE(p.StopContainer(none, kGrace), kNotFound);
    CHECK_STATUS_CODE(p.RestartContainer(none, kGrace), kNotFound);
  }
}

void CheckRename(ProviderUnderTest& put) {
  Provider& p = put.provider();
  auto name = [&](const std::string& suffix) { return put.prefix() + suffix; };
  const std::string a = Create(put, Request(put, "ren_a"));
  const std::string b = Create(put, Request(put, "ren_b"));
  REQUIRE_OK(p.UploadFile(a, "/run.sh", "x", 0755));

  SECTION("a stopped or running container is renamed, keeping its id, state and files") {
    REQUIRE_OK(p.RenameContainer(a, name("ren_c")));
    CHECK_STATUS_CODE(p.InspectContainer(name("ren_a")).status(), kNotFound);
    CHECK(Inspect(put, name("ren_c")).id == a);

    REQUIRE_OK(p.StartContainer(a));
    REQUIRE_OK(p.RenameContainer(name("ren_c"), name("ren_a")));
    const LiveContainer renamed = Inspect(put, name("ren_a"));
    CHECK(renamed.id == a);
    CHECK(renamed.running());
    CHECK(Read(put, name("ren_a"), "/run.sh") == std::optional<std::string>("x"));
    REQUIRE_OK(p.StopContainer(a, kGrace));
  }
  SECTION("a leading '/' in the new name is dropped, as Docker names are written") {
    REQUIRE_OK(p.RenameContainer(b, "/" + name("ren_d")));
    CHECK(Inspect(put, b).name == name("ren_d"));
    CHECK(Inspect(put, name("ren_d")).id == b);
  }
  SECTION("a taken name is a conflict, a missing container not found; neither changes a thing") {
    Status taken = p.RenameContainer(a, name("ren_b"));
    CHECK_STATUS_CODE(taken, kConflict);
    CHECK_THAT(taken.message(), Catch::Contains("Error when allocating new name: Conflict. The "
                                                "container name \"/" +
                                                name("ren_b") + "\" is already in use"));
    CHECK_STATUS_CODE(p.RenameContainer(name("no_such"), name("ren_x")), kNotFound);
    CHECK(Inspect(put, a).name == name("ren_a"));
    CHECK(Inspect(put, b).name == name("ren_b"));
  }
  SECTION("the current name, and an invalid name, are invalid arguments") {
    Status same = p.RenameContainer(a, name("ren_a"));
    CHECK_STATUS_CODE(same, kInvalidArgument);
    CHECK_THAT(same.message(),
               Catch::Contains("Renaming a container with the same name as its current name"));
    for (const std::string& bad :
         {std::string(), std::string("w"), name(" bad"), "_" + name("x"), name("x/1")}) {
      INFO("'" << bad << "'");
      CHECK_STATUS_CODE(p.RenameContainer(a, bad), kInvalidArgument);
    }
    CHECK(Inspect(put, a).name == name("ren_a"));
  }
}

void CheckFiles(ProviderUnderTest& put) {
  Provider& p = put.provider();
  const std::string id = Create(put, Request(put, "files"));
  const std::string script = "#!/bin/sh\n# contract\nexport RUNTIME_MODE=lab\nexec sleep 1000\n";

  // An absent file reads and stats as nullopt; a missing container is not found.
  for (const char* path : {"/run.sh", "/no/such/dir/file.sh"}) {
    INFO(path);
    CHECK_FALSE(Read(put, id, path));
    Result<std::optional<std::string>> stat = p.StatFile(id, path);
    REQUIRE(stat.ok());
    CHECK_FALSE(stat->has_value());
  }
  const std::string none = put.prefix() + "no_such";
  CHECK_STATUS_CODE(p.ReadFile(none, "/run.sh").status(), kNotFound);
  CHECK_STATUS_CODE(p.StatFile(none, "/run.sh").status(), kNotFound);
  // A path that is not an absolute file path is an invalid argument.
  for (const char* path : {"run.sh", "/tmp/", ""}) {
    INFO("'" << path << "'");
    CHECK_STATUS_CODE(p.ReadFile(id, path).status(), kInvalidArgument);
    CHECK_STATUS_CODE(p.StatFile(id, path).status(), kInvalidArgument);
    CHECK_STATUS_CODE(p.UploadFile(id, path, "x", 0644), kInvalidArgument);
  }

  // An upload (into a container never started) reads back, and stats as SIZE:MODE:MTIME with
  // the mode in decimal, as Docker's path stat (Go's FileMode) writes it: 0755 is 493.
  REQUIRE_OK(p.UploadFile(id, "/run.sh", script, 0755));
  CHECK(Read(put, id, "/run.sh") == script);
  const std::string first_key = StatKey(put, id, "/run.sh");
  CHECK_THAT(first_key, Catch::StartsWith(std::to_string(script.size()) + ":493:"));
  ModifiedAt(first_key);
  REQUIRE_OK(p.UploadFile(id, "/contract.txt", "data", 0640));
  CHECK_THAT(StatKey(put, id, "/contract.txt"), Catch::StartsWith("4:416:"));
  CHECK(Read(put, id, "/contract.txt") == std::optional<std::string>("data"));
  // A file larger than an SSH channel's window (2 MiB from OpenSSH) goes up whole: the write
  // waits for the window to reopen, with nobody reading meanwhile.
  std::string large(5 * 1024 * 1024, 'x');
  for (std::size_t i = 0; i < large.size(); i += 4096) large[i] = static_cast<char>('a' + i % 26);
  REQUIRE_OK(p.UploadFile(id, "/large.bin", large, 0644));
  CHECK(Read(put, id, "/large.bin") == large);

  // A rewrite changes the key.
  const std::string v2 = script + "# v2\n";
  REQUIRE_OK(p.UploadFile(id, "/run.sh", v2, 0755));
  CHECK(Read(put, id, "/run.sh") == v2);
  const std::string key = StatKey(put, id, "/run.sh");
  CHECK(key != first_key);

  // An upload's mtime compares truthfully with the container's StartedAt: written before
  // the start, the process started from it ...
  REQUIRE_OK(p.StartContainer(id));
  const std::int64_t first_start = StartedAt(put, id);
  CHECK(ModifiedAt(key) <= first_start);
  // ... rewritten (same content) after the start: a restart is pending.
  std::this_thread::sleep_for(put.mtime_resolution());
  REQUIRE_OK(p.UploadFile(id, "/run.sh", v2, 0755));
  const std::string rewritten = StatKey(put, id, "/run.sh");
  CHECK(ModifiedAt(rewritten) > first_start);
  CHECK(rewritten != key);
  CHECK(StartedAt(put, id) == first_start);
  REQUIRE_OK(p.RestartContainer(id, kGrace));
  CHECK(ModifiedAt(StatKey(put, id, "/run.sh")) <= StartedAt(put, id));

  // The files of a stopped container are read and written.
  REQUIRE_OK(p.StopContainer(id, kGrace));
  CHECK(Read(put, id, "/run.sh") == v2);
  REQUIRE_OK(p.UploadFile(id, "/run.sh", script, 0755));
  CHECK(Read(put, id, "/run.sh") == script);
}

void CheckExec(ProviderUnderTest& put) {
  Provider& p = put.provider();
  const std::string id = Create(put, Request(put, "exec"));
  REQUIRE_OK(p.UploadFile(id, "/run.sh", "#!/bin/sh\nexit 0\n", 0755));
  REQUIRE_OK(p.UploadFile(id, "/contract.txt", "data", 0644));

  // Exec needs a running container.
  CHECK_STATUS_CODE(Exec(put, id, Shell("exit 0")).status(), kConflict);  // never started
  CHECK_STATUS_CODE(Exec(put, put.prefix() + "no_such", Shell("exit 0")).status(), kNotFound);
  CHECK_STATUS_CODE(Exec(put, id, {}).status(), kInvalidArgument);

  // It returns the process's exit code.
  REQUIRE_OK(p.StartContainer(id));
  CHECK(ExitCodeOf(put, id, Shell("exit 0")) == 0);
  CHECK(ExitCodeOf(put, id, Shell("exit 7")) == 7);
  CHECK(ExitCodeOf(put, id, {"test", "-f", "/run.sh"}) == 0);
  CHECK(ExitCodeOf(put, id, {"test", "-f", "/nope"}) == 1);
  CHECK(ExitCodeOf(put, id, {"test", "-x", "/run.sh"}) == 0);  // uploaded with its mode
  CHECK(ExitCodeOf(put, id, {"test", "-x", "/contract.txt"}) == 1);

  // An exec past its timeout is a timeout, soon after it.
  const auto start = std::chrono::steady_clock::now();
  CHECK_STATUS_CODE(p.Exec(id, {"sleep", "5"}, milliseconds(300)).status(), kTimeout);
  CHECK(std::chrono::steady_clock::now() - start < seconds(4));

  REQUIRE_OK(p.StopContainer(id, kGrace));
  CHECK_STATUS_CODE(Exec(put, id, Shell("exit 0")).status(), kConflict);  // stopped
}

// A container's output as a sink received it, stdout and stderr apart.
struct ContractOutput {
  std::string out, err;
  OutputSink Sink() {
    return [this](OutputStream stream, std::string_view bytes) {
      (stream == OutputStream::kStderr ? err : out).append(bytes);
      return Status::Ok();
    };
  }
};

// The log of `id` as StreamLogs(`request`) sends it, which must succeed.
ContractOutput Logs(ProviderUnderTest& put, const std::string& id, const LogsRequest& request) {
  ContractOutput got;
  const Status st = put.provider().StreamLogs(id, request, got.Sink());
  INFO("logs of " << id << ": " << st.ToString());
  REQUIRE(st.ok());
  return got;
}

void CheckLogs(ProviderUnderTest& put) {
  Provider& p = put.provider();
  CreateContainerRequest req = Request(put, "logs");
  req.spec.command = ContractLoggingCommand();
  const std::string id = Create(put, req);
  ContractOutput none;
  CHECK_STATUS_CODE(p.StreamLogs(put.prefix() + "no_such", {}, none.Sink()), kNotFound);

  REQUIRE_OK(p.StartContainer(id));
  ContractOutput all = Logs(put, id, {});
  for (int moment = 0; moment < 150 && all.out != "out1\nout2\n"; ++moment) {
    put.LetTimePass();
    all = Logs(put, id, {});
  }
  // Each stream whole and apart.
  CHECK(all.out == "out1\nout2\n");
  CHECK(all.err == "err1\n");

  // The last lines only.
  LogsRequest tail;
  tail.tail = 1;
  const ContractOutput last = Logs(put, id, tail);
  CHECK(last.out == "out2\n");
  CHECK(last.err.empty());
  tail.tail = 0;
  CHECK(Logs(put, id, tail).out.empty());

  // Each line after the time it was written.
  LogsRequest timestamps;
  timestamps.timestamps = true;
  const ContractOutput stamped = Logs(put, id, timestamps);
  std::istringstream lines(stamped.out);
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    const auto space = line.find(' ');
    REQUIRE(space != std::string::npos);
    Nanos(line.substr(0, space));
    CHECK(line.substr(space + 1) == (count == 0 ? "out1" : "out2"));
  }
  CHECK(count == 2);

  // A follow of a running container waits for more until interrupted.
  const auto start = std::chrono::steady_clock::now();
  LogsRequest follow;
  follow.follow = true;
  follow.tail = 0;
  follow.interrupted = [start] {
    return std::chrono::steady_clock::now() - start > milliseconds(300);
  };
  ContractOutput followed;
  CHECK_STATUS_CODE(p.StreamLogs(id, follow, followed.Sink()), Status::Code::kCancelled);
  CHECK(std::chrono::steady_clock::now() - start < seconds(5));

  // A follow of a stopped container sends the log and returns.
  REQUIRE_OK(p.StopContainer(id, kGrace));
  follow.tail.reset();
  follow.interrupted = nullptr;
  const ContractOutput stopped = Logs(put, id, follow);
  CHECK(stopped.out == "out1\nout2\n");
}

// Reads `session`'s output to its end.
ContractOutput DrainSession(ExecSession& session) {
  ContractOutput got;
  for (;;) {
    Result<bool> more = session.ReadOutput(got.Sink());
    INFO(more.status().ToString());
    REQUIRE(more.ok());
    if (!*more) return got;
  }
}

// An attached exec of `argv` in `id` (with a TTY of `size` when given), which must start.
std::unique_ptr<ExecSession> StartSession(ProviderUnderTest& put, const std::string& id,
                                          const std::vector<std::string>& argv,
                                          std::optional<TerminalSize> size = std::nullopt) {
  ExecRequest request;
  request.argv = argv;
  request.tty = size.has_value();
  request.size = size;
  Result<std::unique_ptr<ExecSession>> session = put.provider().StartExec(id, request);
  INFO("exec " << argv.front() << ": " << session.status().ToString());
  REQUIRE(session.ok());
  return std::move(*session);
}

ExecOutcome Outcome(ExecSession& session) {
  Result<ExecOutcome> outcome = session.Finish();
  INFO(outcome.status().ToString());
  REQUIRE(outcome.ok());
  return *outcome;
}

void CheckExecSessions(ProviderUnderTest& put) {
  Provider& p = put.provider();
  const std::string id = Create(put, Request(put, "session"));
  ExecRequest request;
  request.argv = ContractOutputCommand();
  // Like Exec, it needs a running container.
  CHECK_STATUS_CODE(p.StartExec(id, request).status(), kConflict);
  CHECK_STATUS_CODE(p.StartExec(put.prefix() + "no_such", request).status(), kNotFound);
  request.argv.clear();
  CHECK_STATUS_CODE(p.StartExec(id, request).status(), kInvalidArgument);
  REQUIRE_OK(p.StartContainer(id));

  // Output apart by stream, and the exit code.
  auto output = StartSession(put, id, ContractOutputCommand());
  CHECK_STATUS_CODE(output->Resize(TerminalSize{24, 80}), kInvalidArgument);  // no TTY
  const ContractOutput got = DrainSession(*output);
  CHECK(got.out == "out\n");
  CHECK(got.err == "err\n");
  const ExecOutcome three = Outcome(*output);
  CHECK(three.exit_code == 3);
  CHECK(three.started);

  // Input to its end, and what the process made of it.
  auto cat = StartSession(put, id, {"cat"});
  REQUIRE_OK(cat->WriteInput("to cat\n"));
  REQUIRE_OK(cat->CloseInput());
  CHECK(DrainSession(*cat).out == "to cat\n");
  CHECK(Outcome(*cat).exit_code == 0);

  // A TTY of the size asked for (its end of line as a terminal writes it), one output.
  auto tty = StartSession(put, id, ContractTerminalSizeCommand(), TerminalSize{33, 101});
  CHECK_STATUS_CODE(tty->CloseInput(), kInvalidArgument);
  const ContractOutput terminal = DrainSession(*tty);
  CHECK(terminal.out == "33 101\r\n");
  CHECK(terminal.err.empty());
  CHECK(Outcome(*tty).exit_code == 0);

  // A command that cannot be started is told apart from one that failed.
  auto missing = StartSession(put, id, {"/no/such/command"});
  DrainSession(*missing);
  const ExecOutcome never = Outcome(*missing);
  CHECK_FALSE(never.started);
  CHECK((never.exit_code == 126 || never.exit_code == 127));
}

void CheckImages(ProviderUnderTest& put) {
  Provider& p = put.provider();
  const std::string image = put.image();

  SECTION("an image on the host: present, pulled again, its digests agree") {
    Result<bool> has = p.HasImage(image);
    REQUIRE(has.ok());
    CHECK(*has);
    REQUIRE_OK(p.PullImage(image));
    CHECK(*p.HasImage(image));

    Result<std::string> digest = p.ResolveImageDigest(image);
    INFO(digest.status().ToString());
    REQUIRE(digest.ok());
    CHECK_THAT(*digest, Catch::StartsWith("sha256:"));
    CHECK(digest->size() == 71);
    const std::string pinned = RepoOf(image) + "@" + *digest;
    Result<std::vector<std::string>> local = p.LocalImageDigests(image);
    REQUIRE(local.ok());
    CHECK(std::find(local->begin(), local->end(), pinned) != local->end());

    // A digest reference and the image id name the same image as the tag.
    CHECK(*p.HasImage(pinned));
    CreateContainerRequest by_tag = Request(put, "by_tag");
    CreateContainerRequest by_digest = Request(put, "by_digest");
    by_digest.spec.image = pinned;
    const LiveContainer tagged = Inspect(put, Create(put, by_tag));
    const LiveContainer digested = Inspect(put, Create(put, by_digest));
    CHECK(digested.spec.image == pinned);
    CHECK(digested.image_id == tagged.image_id);
    CHECK(*p.HasImage(tagged.image_id));
    Result<std::vector<std::string>> by_id = p.LocalImageDigests(tagged.image_id);
    REQUIRE(by_id.ok());
    CHECK(*by_id == *local);
  }
  SECTION("an image neither the host nor the registry has") {
    for (const std::string& missing : put.missing_images()) {
      INFO(missing);
      Result<bool> has = p.HasImage(missing);
      REQUIRE(has.ok());
      CHECK_FALSE(*has);
      Result<std::vector<std::string>> local = p.LocalImageDigests(missing);
      REQUIRE(local.ok());
      CHECK(local->empty());
      Result<std::string> digest = p.ResolveImageDigest(missing);
      CHECK_STATUS_CODE(digest.status(), kNotFound);
      CHECK_THAT(digest.status().message(), Catch::Contains("manifest unknown"));
      Status pull = p.PullImage(missing);
      CHECK_STATUS_CODE(pull, kNotFound);
      CHECK_THAT(pull.message(), Catch::Contains(missing) && Catch::Contains("manifest unknown"));
      CHECK_FALSE(*p.HasImage(missing));
    }
  }
}

void CheckDaemonReadback(ProviderUnderTest& put) {
  Provider& p = put.provider();
  // Short periods so that each verdict takes a few seconds: StartPeriod (= timeout) 1 s,
  // then a probe every 300 ms, two failures in a row make it unhealthy.
  const Healthcheck passing{Shell("exit 0"), milliseconds(1000), milliseconds(300), 2};
  const Healthcheck failing_check{Shell("exit 1"), milliseconds(1000), milliseconds(300), 2};
  CreateContainerRequest good = Request(put, "hc_good");
  good.spec.healthcheck = passing;
  CreateContainerRequest bad = Request(put, "hc_bad");
  bad.spec.healthcheck = failing_check;
  CreateContainerRequest looping = Request(put, "crashloop");
  looping.spec.command = ContractFailingCommand();
  looping.spec.restart = "always";
  CreateContainerRequest failing = Request(put, "failing");
  failing.spec.command = ContractFailingCommand();
  failing.spec.healthcheck = passing;
  const std::string good_id = Create(put, good);
  const std::string bad_id = Create(put, bad);
  const std::string plain_id = Create(put, Request(put, "hc_plain"));
  const std::string looping_id = Create(put, looping);
  const std::string failing_id = Create(put, failing);
  CHECK(Inspect(put, good_id).health.empty());  // no probe before the first start

  // Right after a start, a process that has not exited yet shows no restart and no exit code.
  REQUIRE_OK(p.StartContainer(looping_id));
  const LiveContainer fresh = Inspect(put, looping_id);
  CHECK(fresh.restart_count == 0);
  CHECK(fresh.exit_code == 0);
  for (const std::string* id : {&good_id, &bad_id, &plain_id, &failing_id})
    REQUIRE_OK(p.StartContainer(*id));

  // The daemon probes the health check: healthy or unhealthy; it only reports the verdict.
  const LiveContainer healthy =
      AwaitContainer(put, good_id, [](const LiveContainer& c) { return c.health == "healthy"; });
  CHECK(healthy.health == "healthy");
  CHECK(healthy.spec == good.spec);
  const LiveContainer unhealthy =
      AwaitContainer(put, bad_id, [](const LiveContainer& c) { return c.health == "unhealthy"; });
  CHECK(unhealthy.health == "unhealthy");
  CHECK(unhealthy.running());
  CHECK(unhealthy.spec == bad.spec);
  const LiveContainer plain = Inspect(put, plain_id);
  CHECK_FALSE(plain.spec.healthcheck);  // none asked for, none in the image
  CHECK(plain.health.empty());          // no health check, no health

  // A process that exits under restart "no" stays exited with its code; its health check
  // says unhealthy, whatever the probes said while it ran.
  const LiveContainer exited =
      AwaitContainer(put, failing_id, [](const LiveContainer& c) { return c.state == "exited"; });
  CHECK(exited.state == "exited");
  CHECK(exited.exit_code == kContractExitCode);
  CHECK(exited.restart_count == 0);
  CHECK(exited.health == "unhealthy");

  // Under restart "always" the daemon restarts it, counting; between two runs it is
  // "restarting" with the last exit code (a run clears the code).
  const LiveContainer crashing = AwaitContainer(put, looping_id, [](const LiveContainer& c) {
    return c.restarting() && c.restart_count >= 2;
  });
  CHECK(crashing.restarting());
  CHECK(crashing.restart_count >= 2);
  CHECK(crashing.exit_code == kContractExitCode);
  CHECK(crashing.spec == looping.spec);
  // A stop leaves the count; a start through the API starts it again, and so does a restart.
  REQUIRE_OK(p.StopContainer(looping_id, seconds(1)));
  CHECK(Inspect(put, looping_id).restart_count >= 2);
  REQUIRE_OK(p.StartContainer(looping_id));
  CHECK(Inspect(put, looping_id).restart_count == 0);
  const LiveContainer again =
      AwaitContainer(put, looping_id, [](const LiveContainer& c) { return c.restart_count >= 1; });
  REQUIRE(again.restart_count >= 1);
  REQUIRE_OK(p.RestartContainer(looping_id, seconds(1)));
  const LiveContainer restarted = Inspect(put, looping_id);
  CHECK(restarted.restart_count == 0);
  CHECK(restarted.running());

  // A stop makes a container with a health check unhealthy, whatever its last verdict.
  for (const std::string* id : {&good_id, &bad_id, &plain_id, &looping_id})
    REQUIRE_OK(p.StopContainer(*id, seconds(1)));
  CHECK(Inspect(put, good_id).health == "unhealthy");
  CHECK(Inspect(put, bad_id).health == "unhealthy");
  CHECK(Inspect(put, plain_id).health.empty());
}

}  // namespace

std::vector<std::string> ContractFailingCommand() {
  return {"/bin/sh", "-c", "sleep 1; exit " + std::to_string(kContractExitCode)};
}

std::vector<std::string> ContractLoggingCommand() {
  return {"/bin/sh", "-c",
          "echo out1; echo err1 >&2; sleep 0.2; echo out2; trap 'exit 0' TERM; "
          "while :; do sleep 3600 & wait $!; done"};
}

std::vector<std::string> ContractOutputCommand() {
  return {"/bin/sh", "-c", "echo out; echo err >&2; exit 3"};
}

std::vector<std::string> ContractTerminalSizeCommand() {
  // Docker sizes an exec's terminal just after its process started: the first moments of it
  // may see no size yet.
  return {"/bin/sh", "-c",
          "for i in 1 2 3 4 5 6 7 8 9 10; do s=$(stty size 2>/dev/null); "
          "[ -n \"$s\" ] && [ \"$s\" != \"0 0\" ] && break; sleep 0.1; done; echo $s"};
}

void CheckProviderContract(ProviderUnderTest& put) {
  SECTION("ListContainers") { CheckListContainers(put); }
  SECTION("ReadContainers") { CheckReadContainers(put); }
  SECTION("CreateContainer and InspectContainer") { CheckCreateAndInspect(put); }
  SECTION("StartContainer, StopContainer, RestartContainer, RemoveContainer") {
    CheckLifecycle(put);
  }
  SECTION("RenameContainer") { CheckRename(put); }
  SECTION("UploadFile, ReadFile, StatFile") { CheckFiles(put); }
  SECTION("Exec") { CheckExec(put); }
  SECTION("StreamLogs") { CheckLogs(put); }
  SECTION("StartExec and its sessions") { CheckExecSessions(put); }
  SECTION("HasImage, PullImage, ResolveImageDigest, LocalImageDigests") { CheckImages(put); }
  SECTION("health, restart count and exit code as the daemon reports them") {
    CheckDaemonReadback(put);
  }
}

}  // namespace jlrec::testing
