#include "support/lab_project.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "state/state_key.h"
#include "state/state_location.h"
#include "state/state_path.h"

namespace jlrec::testing {

namespace {

// Debian's psql of the lab's server version (the /usr/bin wrapper picks clusters).
std::string Psql() {
  const std::string lab_psql = "/usr/lib/postgresql/15/bin/psql";
  return access(lab_psql.c_str(), X_OK) == 0 ? lab_psql : "psql";
}

// "jlrec_lab_<prefix>", folded to what needs no quoting in SQL.
std::string DatabaseName(const std::string& prefix) {
  std::string name = "jlrec_lab_";
  for (char c : prefix)
    name += std::isalnum(static_cast<unsigned char>(c))
                ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
                : '_';
  return name;
}

// The lab's URL (postgresql://jlrec@127.0.0.1:5433/jlrec) with another database.
std::string UrlOfDatabase(const std::string& lab_url, const std::string& database) {
  const std::size_t slash = lab_url.rfind('/');
  return lab_url.substr(0, slash + 1) + database;
}

std::string TempDir() {
  char tmpl[] = "/tmp/jlrec-e2e-XXXXXX";
  const char* made = mkdtemp(tmpl);
  if (made == nullptr) throw std::runtime_error("mkdtemp failed");
  return made;
}

void Copy(const std::string& from, const std::string& to) {
  std::error_code ec;
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing, ec);
}

}  // namespace

LabStateBackend LabStateBackendFromEnv() {
  const char* value = std::getenv("JLREC_LAB_STATE_BACKEND");
  const std::string backend = value == nullptr ? "" : value;
  if (backend.empty() || backend == "sqlite") return LabStateBackend::kSqlite;
  if (backend == "postgresql") return LabStateBackend::kPostgres;
  throw std::runtime_error("JLREC_LAB_STATE_BACKEND=" + backend +
                           ": expected sqlite or postgresql");
}

LabProject::LabProject(const std::string& prefix, LabStateBackend backend)
    : prefix_(prefix), dir_(TempDir()), lab_(ReadLabEnv()), backend_(backend) {
  RemoveContainers();
  if (!postgres()) return;
  if (lab_.postgres_url.empty() || lab_.postgres_admin.empty())
    throw std::runtime_error(
        "the lab has no PostgreSQL server (lab.env has no JLREC_LAB_POSTGRES_*): run "
        "`bash tests/lab/lab.sh up` from a tree that has it");
  database_ = DatabaseName(prefix_);
  // A crashed run of this prefix may have left its database (and sessions on it).
  for (const std::string& sql : {"DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)",
                                 "CREATE DATABASE " + database_ + " OWNER " + "jlrec"}) {
    auto r = AdminSql(sql, "postgres");
    if (r.exit_code != 0) throw std::runtime_error("the lab's PostgreSQL: " + sql + ": " + r.err);
  }
}

LabProject::LabProject(const LabProject& origin, CheckoutOf)
    : prefix_(origin.prefix_),
      dir_(TempDir()),
      lab_(origin.lab_),
      backend_(origin.backend_),
      database_(origin.database_),
      owner_(false) {
  Copy(origin.manifest(), manifest());
  Copy(origin.dir() + "/run.sh.tmpl", dir_ + "/run.sh.tmpl");
}

LabProject::~LabProject() {
  if (owner_) {
    RemoveContainers();
    if (postgres()) AdminSql("DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)", "postgres");
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::unique_ptr<LabProject> LabProject::Checkout(bool copy_state_key) const {
  INFO("a second checkout shares the state only on PostgreSQL");
  REQUIRE(postgres());
  std::unique_ptr<LabProject> checkout(new LabProject(*this, CheckoutOf{}));
  if (copy_state_key) checkout->CopyStateKeyFrom(*this);
  return checkout;
}

bool LabProject::CopyStateKeyFrom(const LabProject& origin) const {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(origin.state_key_path(), ec)) return false;
  const auto to = std::filesystem::path(state_key_path());
  std::filesystem::create_directories(to.parent_path(), ec);
  std::filesystem::permissions(to.parent_path(), std::filesystem::perms::owner_all, ec);
  Copy(origin.state_key_path(), to.string());
  std::filesystem::permissions(
      to, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  return !ec;
}

std::string LabProject::state() const {
  return postgres() ? UrlOfDatabase(lab_.postgres_url, database_) : DefaultStatePath(manifest());
}

std::string LabProject::state_key_path() const {
  auto location = ParseStateLocation(state());
  if (!location.ok()) throw std::runtime_error(location.status().message());
  return DefaultStateKeyPath(*location, manifest());
}

std::map<std::string, std::string> LabProject::StateEnv() const {
  if (!postgres()) return {};
  return {{"JLREC_STATE", state()}, {"PGPASSFILE", lab_.postgres_passfile}};
}

ProcessResult LabProject::AdminSql(const std::string& sql, const std::string& database) const {
  const std::string db = database.empty() ? database_ : database;
  // A later dbname in a conninfo overrides the earlier one.
  return RunProcess({Psql(), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d",
                     lab_.postgres_admin + " dbname=" + db, "-c", sql});
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
  auto all = env;
  all.merge(StateEnv());  // what `env` sets stays
  return RunJlrec(args, input, all);
}

int LabProject::Start(std::vector<std::string> args, const std::map<std::string, std::string>& env,
                      const std::string& output) const {
  args.push_back("-m");
  args.push_back(manifest());
  auto all = env;
  all.merge(StateEnv());
  return StartJlrec(args, all, output);
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
