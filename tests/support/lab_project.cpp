#include "support/lab_project.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace jlrec::testing {

LabProject::LabProject(const std::string& prefix) : prefix_(prefix), lab_(ReadLabEnv()) {
  char tmpl[] = "/tmp/jlrec-e2e-XXXXXX";
  dir_ = mkdtemp(tmpl);
  RemoveContainers();
}

LabProject::~LabProject() {
  RemoveContainers();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void LabProject::RemoveContainers() const {
  for (int n = 1; n <= lab_.hosts; ++n) {
    auto ids = LabDocker(n, {"ps", "-aq", "--filter", "name=" + prefix_ + "_"});
    std::istringstream in(ids.out);
    std::vector<std::string> args{"rm", "-f"};
    for (std::string id; in >> id;) args.push_back(id);
    if (args.size() > 2) LabDocker(n, args);
  }
}

void LabProject::Write(const std::vector<LabUnit>& units, const std::string& image,
                       const std::string& runtime_mode_product, const std::string& extra_defaults) {
  std::ofstream t(dir_ + "/run.sh.tmpl");
  t << "echo \"starting {{container}} on {{host}} ({{group}}, {{runtime_mode}})\"\n"
       "{{#core}}echo master >/tmp/role{{/core}}{{^core}}echo worker >/tmp/role{{/core}}\n"
       "exec sh /workspace/jiliang_system/deploy/run.sh\n";
  t.close();
  std::ofstream m(manifest());
  m << "version: 1\n"
    << "project: " << prefix_ << "\n"
    << "defaults:\n"
    << "  image: " << (image.empty() ? lab_.image1 : image) << "\n"
    << "  command: [\"/bin/sh\", \"/run.sh\"]\n"
    << "  network_mode: host\n"
    << "  restart: unless-stopped\n"
    << "  env: {TZ: Asia/Shanghai, DB_PASSWORD: \"s3cr3t-value\"}\n"
    << "  secret_env: [DB_PASSWORD]\n"
    << "  template: run.sh.tmpl\n"
    << extra_defaults << "hosts:\n";
  for (int n = 1; n <= lab_.hosts; ++n) {
    auto h = lab_.Host(n);
    m << "  " << h.key << ": {address: " << h.address << ", port: " << h.port
      << ", user: root, identity_file: " << lab_.identity_file
      << ", known_hosts: " << lab_.known_hosts << ", docker_socket: " << h.docker_socket << "}\n";
  }
  m << "groups:\n"
    << "  product: {enable_monitor: true, runtime_mode: " << runtime_mode_product << "}\n"
    << "  test: {enable_monitor: false, runtime_mode: test}\n"
    << "units:\n";
  for (const auto& u : units) {
    m << "  - host: lab" << u.host << "\n    dockers: [";
    for (size_t i = 0; i < u.dockers.size(); ++i) m << (i ? ", " : "") << Name(u.dockers[i]);
    m << "]\n    group: [";
    for (size_t i = 0; i < u.groups.size(); ++i) m << (i ? ", " : "") << u.groups[i];
    m << "]\n    core: " << (u.core ? "true" : "false") << "\n" << u.extra;
  }
}

ProcessResult LabProject::Jlrec(std::vector<std::string> args, const std::string& input,
                                const std::map<std::string, std::string>& env) const {
  args.push_back("-m");
  args.push_back(manifest());
  args.push_back("--no-color");
  return RunJlrec(args, input, env);
}

std::string LabProject::Inspect(int host, const std::string& name,
                                const std::string& format) const {
  auto r = LabDocker(host, {"inspect", "-f", format, Name(name)});
  if (r.exit_code != 0) return "";
  std::string s = r.out;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

std::string LabProject::RunScript(int host, const std::string& name) const {
  auto r = LabDocker(host, {"cp", Name(name) + ":/run.sh", "-"});
  if (r.exit_code != 0) return "";
  // docker cp to stdout writes a tar; the file is after the 512-byte header.
  if (r.out.size() < 512) return "";
  std::size_t size = std::strtoul(r.out.substr(124, 12).c_str(), nullptr, 8);
  return r.out.substr(512, size);
}

}  // namespace jlrec::testing
