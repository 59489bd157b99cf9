// Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/TARGET/seed-*) from the
// project's own fixtures: the example manifests and their template, the legacy deploy
// scripts, the Docker inspect answers of tests/providers/data, and what jlrec's own encoders
// make of them (cache records, snapshots, state columns, a saved plan). Run by
// scripts/fuzz-seeds.sh; usage: fuzz_seed_corpus REPO_ROOT CORPUS_DIR. Deterministic: the
// same sources give the same files.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/plan.h"
#include "engine/plan_json.h"
#include "manifests/manifest_loader.h"
#include "manifests/resolved_manifest_codec.h"
#include "model/byte_codec.h"
#include "model/container_spec.h"
#include "model/image_reference.h"
#include "providers/docker_container_json.h"
#include "state/json_columns.h"
#include "state/snapshot_blob.h"

namespace {

namespace fs = std::filesystem;

fs::path g_root;
fs::path g_corpus;
int g_written = 0;

std::string Read(const fs::path& relative) {
  std::ifstream in(g_root / relative, std::ios::binary);
  if (!in) {
    std::cerr << "fuzz_seed_corpus: cannot read " << (g_root / relative) << "\n";
    std::exit(1);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void Seed(const std::string& target, const std::string& name, const std::string& bytes) {
  const fs::path dir = g_corpus / target;
  fs::create_directories(dir);
  std::ofstream(dir / ("seed-" + name), std::ios::binary) << bytes;
  ++g_written;
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + 1))
    text.replace(at, from.size(), to);
  return text;
}

// The ```yaml blocks of a Markdown file.
std::vector<std::string> YamlBlocks(const std::string& markdown) {
  std::vector<std::string> blocks;
  const std::regex block("```yaml\n([\\s\\S]*?)```");
  for (std::sregex_iterator it(markdown.begin(), markdown.end(), block), end; it != end; ++it)
    blocks.push_back((*it)[1].str());
  return blocks;
}

jlrec::LoadOptions Options() {
  jlrec::LoadOptions options;
  options.getenv = [](const std::string& name) -> std::optional<std::string> {
    if (name == "HOME") return "/root";
    return "v-" + name;
  };
  return options;
}

// --- manifest_loader and script_template -----------------------------------------------

constexpr const char* kTemplate = "templates/jiliang_run.sh.tmpl";

void ManifestSeeds(std::vector<jlrec::DesiredState>& loaded) {
  const std::string tmpl = Read(kTemplate);
  // A seed is the multi-file form manifest_loader_fuzzer.cpp reads: the root manifest, then
  // "#==> NAME" and each file it uses (paths rewritten to names inside the set).
  auto with_template = [&](std::string yaml) {
    yaml = Replace(yaml, "../templates/jiliang_run.sh.tmpl", "run.sh.tmpl");
    yaml = Replace(yaml, "templates/jiliang_run.sh.tmpl", "run.sh.tmpl");
    return yaml + "\n#==> run.sh.tmpl\n" + tmpl;
  };
  for (const char* file : {"manifests/jiliang.yaml", "manifests/lab.yaml"}) {
    Seed("manifest_loader", fs::path(file).filename().string(), with_template(Read(file)));
    auto result = jlrec::LoadManifest((g_root / file).string(), Options());
    if (result.ok()) loaded.push_back(*result.state);
  }
  for (const char* file : {"tests/fixtures/manifests/jiliang_deploy.expected.yaml",
                           "tests/fixtures/manifests/legacy_seed_multiline.expected.yaml",
                           "tests/fixtures/manifests/broken_syntax.yaml",
                           "tests/fixtures/manifests/broken_units.yaml"})
    Seed("manifest_loader", fs::path(file).filename().string(), with_template(Read(file)));
  int n = 0;
  for (const std::string& block : YamlBlocks(Read("docs/manifest.md")))
    Seed("manifest_loader", "manifest-md-" + std::to_string(++n) + ".yaml", with_template(block));

  // include: and a folder manifest (an input that starts with "#==> ").
  Seed("manifest_loader", "include.yaml",
       "version: 1\nproject: p\ninclude: [hosts.yaml, groups.yaml]\n"
       "defaults:\n  image: 127.0.0.1:5000/base:1\n  template: run.sh.tmpl\n"
       "  env: {TZ: UTC, DB_PASSWORD: \"${DB_PASSWORD}\"}\n  secret_env: [DB_PASSWORD]\n"
       "units:\n  - {host: h1, containers: [c1, c2], groups: [g], core: true}\n"
       "  - {host: h2, containers: [c3], groups: [g], ports: [\"8080:80\"]}\n"
       "#==> hosts.yaml\nhosts:\n  h1: {address: 127.0.0.2, port: 2222, user: root}\n"
       "  h2: {address: 127.0.0.3}\n"
       "#==> groups.yaml\ngroups:\n  g: {runtime_mode: dev, enable_monitor: true}\n"
       "#==> run.sh.tmpl\n#!/bin/sh\necho {{container}} {{TZ}} \"{{DB_PASSWORD}}\"\n"
       "{{#core}}core{{/core}}{{^core}}{{master_host}}{{/core}}\nexec sleep 1\n");
  Seed("manifest_loader", "folder",
       "#==> a.yaml\nproject: p\ndefaults: {image: busybox, template: t.tmpl}\n"
       "#==> b.yml\nunits:\n  - {host: 127.0.0.2, containers: [x]}\n"
       "#==> t.tmpl\n#!/bin/sh\nexec sleep 1\n");

  Seed("script_template", "jiliang_run.sh.tmpl", tmpl);
  Seed("script_template", "quoting.tmpl",
       "#!/bin/sh\n{{! comment }}\necho \"v={{TZ}}\" '{{DB_PASSWORD}}' {{RUNTIME_MODE}}\n"
       "{{#enable_monitor}}m=1{{/enable_monitor}}{{^core}}w{{/core}}\n"
       "X=\"$(printf %s {{container}})\" # {{host}} {{address}} {{group}} {{project}}\n"
       "{{{TZ}}} {{&TZ}} {{=<% %>=}} <% TZ %>\n");
  Seed("script_template", "broken.tmpl", "#!/bin/sh\n{{#core}}\n{{/worker}}\n{{unclosed\n");
}

// --- python_literal and legacy_import -------------------------------------------------

void PythonSeeds() {
  for (const char* file : {"tests/fixtures/manifests/jiliang_deploy.py",
                           "tests/fixtures/manifests/legacy_seed_multiline.py",
                           "tests/fixtures/manifests/legacy_unclosed_list.py"}) {
    const std::string source = Read(file);
    const std::string name = fs::path(file).filename().string();
    Seed("legacy_import", name, source);
    // The literal reader starts at the value: the text after "container_list =".
    const std::size_t at = source.find("container_list = ");
    if (at != std::string::npos)
      Seed("python_literal", name, source.substr(at + std::string("container_list = ").size()));
  }
  Seed("python_literal", "scalars",
       "[None, True, False, -12, 0x1F, 'a\\'b', \"c\\\"d\", r'raw\\n', b'x', u'\\u00e9\\x41\\101', "
       "'''tri\nple''', 'con' \"cat\", (1, 2,), {'k': [1, {'n': None}]}, {}]");
  Seed("legacy_import", "keywords.py",
       "IMAGE = 'r/img:1'\n"
       "container_list = [{'host': '127.0.0.2', 'dockers': ['a', 'b'], 'group': ['g1', 'g2'],"
       " 'core': True}]\n"
       "def deploy_system(group='test', enable_monitor=False, runtime_mode='test'):\n    pass\n"
       "# deploy_system('g1', True,\n#   'dev')\n"
       "if __name__ == \"__main__\":\n    deploy_system(group='g1', enable_monitor=True,\n"
       "                  runtime_mode='dev')\n    create_group_containers('g2')\n");
}

// --- docker_container_json, snapshot_blob, json_columns, container_spec_codec ---------

void DockerSeeds(std::vector<jlrec::LiveContainer>& live) {
  std::optional<jlrec::ImageDefaults> image;
  for (const char* file : {"tests/providers/data/image_base1.json",
                           "tests/providers/data/inspect_created_ports_health.json",
                           "tests/providers/data/inspect_running_host.json"}) {
    const std::string text = Read(file);
    Seed("docker_container_json", fs::path(file).filename().string(), text);
    const auto doc = nlohmann::json::parse(text);
    if (!image) {
      if (auto parsed = jlrec::ImageDefaultsFromInspect(doc); parsed.ok()) image = *parsed;
      continue;
    }
    auto container = jlrec::LiveContainerFromInspect(doc, image ? &*image : nullptr);
    if (!container.ok()) continue;
    container->script_digest = std::string(64, 'a');
    container->script_stat = "1700000000.123 1314";
    live.push_back(*container);
  }
}

void StateSeeds(const std::vector<jlrec::DesiredState>& loaded,
                const std::vector<jlrec::LiveContainer>& live) {
  std::vector<jlrec::ContainerSpec> specs;
  for (const auto& c : live) specs.push_back(c.spec);
  for (const auto& state : loaded)
    if (!state.containers.empty()) specs.push_back(state.containers.front().spec);

  Seed("snapshot_blob", "inspected", jlrec::EncodeHostContainers(live));
  Seed("snapshot_blob", "empty", jlrec::EncodeHostContainers({}));

  int n = 0;
  for (const auto& spec : specs) {
    const std::string tag = std::to_string(++n);
    jlrec::ByteWriter w;
    jlrec::WriteSpec(w, spec);
    Seed("container_spec_codec", "spec-" + tag, w.Take());
    Seed("json_columns", "spec-" + tag, jlrec::SpecFieldsToJson(spec));
    Seed("json_columns", "labels-" + tag, jlrec::StringMapToJson(spec.labels));
    Seed("json_columns", "command-" + tag, jlrec::StringListToJson(spec.command));
  }
  Seed("json_columns", "escapes", "[\"a\\u00e9\\n\\\"\", \"\\ud83d\\ude00\", \"\"]");

  for (std::size_t i = 0; i < loaded.size(); ++i) {
    Seed("resolved_manifest_codec", "manifest-" + std::to_string(i + 1),
         jlrec::EncodeResolvedManifest(loaded[i], {}));
    for (const auto& c : loaded[i].containers) {
      for (const auto& port : c.spec.ports) Seed("port_spec", "manifest-" + port, port);
      Seed("image_reference", "manifest-" + std::to_string(i + 1),
           c.spec.image + std::string(1, '\0') + jlrec::RepoOf(c.spec.image) +
               "@sha256:" + std::string(64, 'b'));
    }
  }
}

// --- port_spec and image_reference -----------------------------------------------------

void FormatSeeds() {
  const char* ports[] = {
      "80",          "8080:80", "127.0.0.1:8080:80/tcp", "9000-9001:9000-9001", "[::1]:53:53/udp",
      "0.0.0.0::80", "1-3",     "8080:80/sctp"};
  int n = 0;
  for (const char* p : ports) Seed("port_spec", "form-" + std::to_string(++n), p);
  const std::string nul(1, '\0');
  Seed("image_reference", "registry-port",
       "127.0.0.1:5000/lab/base:1" + nul + "127.0.0.1:5000/lab/base@sha256:00\nbase@sha256:11");
  Seed("image_reference", "digest", "busybox@sha256:" + std::string(64, 'c'));
  Seed("image_reference", "plain", "jiliang/system");
}

// --- http_response_parser ---------------------------------------------------------------

void HttpSeeds() {
  // Two control bytes (see http_response_parser_fuzzer.cpp), then the bytes on the wire.
  const std::pair<const char*, std::string> responses[] = {
      {"length",
       "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n"
       "\r\n{\"Id\":\"abc\"}\n"},
      {"chunked",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
       "4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nX-Trailer: t\r\n\r\n"},
      {"interim",
       "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"
       "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}"},
      {"no-content", "HTTP/1.1 204 No Content\r\nServer: Docker/24.0\r\n\r\n"},
      {"not-modified", "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"},
      {"close-delimited", "HTTP/1.0 200 OK\r\nConnection: close\r\n\r\nbody until eof"},
      {"keep-alive",
       "HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 0\r\n\r\n"},
      {"error-body",
       "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
       "Content-Length: 47\r\n\r\n{\"message\":\"No such container: jl_core_1\\n\"}"},
      {"folded",
       "HTTP/1.1 500 Internal Server Error\r\nX-A: 1\r\n  continued\r\nContent-Length: 1\r\n"
       "content-length: 1\r\n\r\nx"},
      {"bare-lf", "HTTP/1.1 200 OK\nContent-Length: 3\n\nabc"},
  };
  for (const auto& [name, wire] : responses) {
    for (const unsigned char control : {0, 1, 2, 4}) {
      std::string input;
      input += static_cast<char>(control);
      input += static_cast<char>(7);
      Seed("http_response_parser", std::string(name) + "-" + std::to_string(control), input + wire);
    }
  }
}

// --- plan_json --------------------------------------------------------------------------

void PlanSeeds(const std::vector<jlrec::DesiredState>& loaded,
               const std::vector<jlrec::LiveContainer>& live) {
  jlrec::Plan plan;
  plan.project = "jiliang";
  plan.groups = {"product", "test"};
  plan.manifest_digest = loaded.empty() ? std::string(64, 'd') : loaded.front().manifest_digest;
  plan.oldest_observation = 1795000000;
  const jlrec::ActionKind kinds[] = {jlrec::ActionKind::kCreate,  jlrec::ActionKind::kReplace,
                                     jlrec::ActionKind::kUpdate,  jlrec::ActionKind::kStart,
                                     jlrec::ActionKind::kRemove,  jlrec::ActionKind::kConflict,
                                     jlrec::ActionKind::kUnknown, jlrec::ActionKind::kAdopt};
  const jlrec::ReasonKind reasons[] = {
      jlrec::ReasonKind::kMissing,         jlrec::ReasonKind::kSpecChanged,
      jlrec::ReasonKind::kScriptChanged,   jlrec::ReasonKind::kStopped,
      jlrec::ReasonKind::kOrphan,          jlrec::ReasonKind::kUnmanaged,
      jlrec::ReasonKind::kHostUnreachable, jlrec::ReasonKind::kAdoptable};
  for (std::size_t i = 0; i < std::size(kinds); ++i) {
    jlrec::PlanAction a;
    a.kind = kinds[i];
    a.reason_kind = reasons[i];
    a.host = "lab" + std::to_string(i % 3 + 1);
    a.name = "jl_slave_" + std::to_string(i);
    a.groups = {"product"};
    a.core = i == 0;
    if (a.kind != jlrec::ActionKind::kCreate && a.kind != jlrec::ActionKind::kUnknown) {
      a.fingerprint = {true, std::string(64, 'e'), std::string(64, 'f'), std::string(64, '0'),
                       i % 2 ? "running" : "exited"};
    }
    if (a.kind == jlrec::ActionKind::kUpdate)
      a.changes = {{"env.RUNTIME_MODE", "test", "dev"}, {"script", "3b1f", "a04c"}};
    if (a.kind == jlrec::ActionKind::kConflict) a.reason_facts.holder_project = "other";
    if (a.kind == jlrec::ActionKind::kUnknown) a.reason_facts.detail = "connection refused";
    if (a.kind == jlrec::ActionKind::kReplace && !live.empty()) {
      a.live = live.front();
      a.previous = live.front();
      a.pinned_image = "127.0.0.1:5000/jlrec-lab/base@sha256:" + std::string(64, '1');
    }
    plan.actions.push_back(a);
  }
  jlrec::PlanAction failed;
  failed.kind = jlrec::ActionKind::kReplace;
  failed.reason_kind = jlrec::ReasonKind::kFailed;
  failed.reason_facts.now = jlrec::ReasonKind::kRestartLoop;
  failed.reason_facts.restart_count = 3;
  failed.reason_facts.exit_code = 137;
  failed.host = "lab1";
  failed.name = "jl_core_1";
  failed.failure = jlrec::ActionFailure{
      "lab1", "jl_core_1", "replace", "abc", "d1", "d2", "health check timed out",
      true,   12,          1795000000};
  plan.actions.push_back(failed);
  jlrec::PlanAction interrupted = failed;
  interrupted.reason_kind = jlrec::ReasonKind::kInterrupted;
  interrupted.reason_facts = {};
  interrupted.reason_facts.stopped_run = 11;
  interrupted.failure.reset();
  plan.actions.push_back(interrupted);
  plan.orphans.push_back(plan.actions[4]);
  plan.host_errors.push_back({"lab3", "connect to 127.0.0.4:2222: Connection refused"});
  plan.warnings.push_back("could not check the registry digest of 127.0.0.1:5000/base:1");
  plan.noops.push_back({"lab1", "jl_core_1", {"product"}, true});
  Seed("plan_json", "actions", jlrec::PlanToJson(plan, true).dump(2));
  Seed("plan_json", "terse", jlrec::PlanToJson(plan, false).dump());
  Seed("plan_json", "empty", jlrec::PlanToJson(jlrec::Plan{}, false).dump());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: fuzz_seed_corpus REPO_ROOT CORPUS_DIR\n";
    return 2;
  }
  g_root = argv[1];
  g_corpus = argv[2];
  std::vector<jlrec::DesiredState> loaded;
  std::vector<jlrec::LiveContainer> live;
  ManifestSeeds(loaded);
  PythonSeeds();
  DockerSeeds(live);
  StateSeeds(loaded, live);
  FormatSeeds();
  HttpSeeds();
  PlanSeeds(loaded, live);
  std::cout << "fuzz_seed_corpus: " << g_written << " seeds in " << g_corpus.string() << "\n";
  return 0;
}
