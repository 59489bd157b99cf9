// Pulls from the lab's login-protected registry (lab.sh's second registry, htpasswd on
// 127.0.0.1:5001) with each credential source: the manifest's registries: with a ${VAR}
// password, a DOCKER_CONFIG folder's auths, and a docker-credential-NAME helper; a wrong or
// missing login; and no trace of the password in any output, log or the state file.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "providers/registry_credential.h"
#include "support/lab_project.h"

using namespace jlrec::testing;

namespace {

constexpr int kHost = 1;  // every test here runs its one container on lab host 1
constexpr const char* kPasswordVariable = "JLREC_TEST_REGISTRY_PASSWORD";

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::string Base64(const std::string& text) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 3) {
    unsigned n = static_cast<unsigned char>(text[i]) << 16;
    if (i + 1 < text.size()) n |= static_cast<unsigned char>(text[i + 1]) << 8;
    if (i + 2 < text.size()) n |= static_cast<unsigned char>(text[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < text.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < text.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

// One project with one container ("app", on kHost) from the login-protected registry's
// image, which is removed from the host first so that every apply really pulls it.
class PrivateImageProject {
 public:
  explicit PrivateImageProject(const std::string& prefix) : project_(prefix) {
    const LabEnv& lab = project_.lab();
    if (lab.private_password.empty())
      FAIL(
          "lab.env has no login-protected registry: run `bash tests/lab/lab.sh up` from a tree "
          "whose lab.sh starts it");
    RemoveImage();
    project_.Write({LabUnit{kHost, {"app"}, {"product"}, true, ""}}, lab.private_image);
  }
  ~PrivateImageProject() {
    project_.RemoveContainers();
    RemoveImage();
  }

  const LabProject& project() const { return project_; }
  const LabEnv& lab() const { return project_.lab(); }
  // Appends `yaml` (top-level keys) to the manifest.
  void Append(const std::string& yaml) const {
    std::ofstream(project_.manifest(), std::ios::app) << yaml;
  }
  // The manifest's registries: entry for the private registry, password from ${VAR}.
  void AddManifestLogin() const {
    Append("registries:\n  " + lab().private_registry + ":\n    username: " + lab().private_user +
           "\n    password: ${" + kPasswordVariable + "}\n");
  }
  // A folder under the project's temp dir.
  std::string Folder(const std::string& name) const {
    const std::string path = project_.dir() + "/" + name;
    std::filesystem::create_directories(path);
    return path;
  }
  void RemoveImage() const { LabDocker(kHost, {"rmi", "-f", lab().private_image}); }
  bool ImageOnHost() const {
    return LabDocker(kHost, {"image", "inspect", lab().private_image}).exit_code == 0;
  }
  // The image the container "app" was created from ("" when there is no such container).
  std::string AppImage() const { return project_.Inspect(kHost, "app", "{{.Config.Image}}"); }
  std::string AppState() const { return project_.Inspect(kHost, "app", "{{.State.Status}}"); }
  // `jlrec apply --all --auto-approve` with `env`.
  ProcessResult Apply(const std::map<std::string, std::string>& env) const {
    return project_.Jlrec({"apply", "--all", "--auto-approve"}, "", env);
  }

 private:
  LabProject project_;
};

// The environment the manifest's login reads its password from.
std::map<std::string, std::string> PasswordEnv(const std::string& password) {
  return {{kPasswordVariable, password}};
}

}  // namespace

TEST_CASE("a pull from the login-protected registry with the manifest's registries: login",
          "[lab][registry-auth]") {
  PrivateImageProject p("regauth_manifest");
  p.AddManifestLogin();
  const auto env = PasswordEnv(p.lab().private_password);

  // With the right login the tag's digest is checked without a warning.
  auto plan = p.project().Jlrec({"plan", "--all"}, "", env);
  INFO(plan.out << plan.err);
  REQUIRE(plan.exit_code == 0);
  CHECK(Contains(plan.out, "+ lab1/" + p.project().Name("app")));
  CHECK_FALSE(Contains(plan.out + plan.err, "Warning"));

  CHECK_FALSE(p.ImageOnHost());
  auto apply = p.Apply(env);
  INFO(apply.out << apply.err);
  REQUIRE(apply.exit_code == 0);
  CHECK(p.ImageOnHost());
  CHECK(p.AppImage() == p.lab().private_image);
  CHECK(p.AppState() == "running");

  // The running image is the tag's current digest at the registry: nothing to do.
  auto again = p.project().Jlrec({"plan", "--all", "--detailed-exitcode"}, "", env);
  INFO(again.out << again.err);
  CHECK(again.exit_code == 0);
  CHECK(Contains(again.out, "No changes."));
  CHECK_FALSE(Contains(again.out + again.err, "Warning"));
}

TEST_CASE("a pull from the login-protected registry with a DOCKER_CONFIG folder's auths",
          "[lab][registry-auth]") {
  PrivateImageProject p("regauth_config");
  const std::string config = p.Folder("docker-config");
  std::ofstream(config + "/config.json")
      << "{\"auths\": {\"" << p.lab().private_registry << "\": {\"auth\": \""
      << Base64(p.lab().private_user + ":" + p.lab().private_password) << "\"}}}\n";
  auto apply = p.Apply({{"DOCKER_CONFIG", config}});
  INFO(apply.out << apply.err);
  REQUIRE(apply.exit_code == 0);
  CHECK(p.ImageOnHost());
  CHECK(p.AppImage() == p.lab().private_image);
  CHECK(p.AppState() == "running");
}

TEST_CASE("a pull from the login-protected registry through a docker-credential helper",
          "[lab][registry-auth]") {
  PrivateImageProject p("regauth_helper");
  const std::string bin = p.Folder("bin");
  const std::string config = p.Folder("docker-config");
  const std::string asked = p.project().dir() + "/helper-asked";
  // It records what it was asked (argument and stdin) and answers the docker CLI's way.
  const std::string helper = bin + "/docker-credential-jlrectest";
  std::ofstream(helper) << "#!/bin/sh\n"
                        << "{ echo \"$1\"; cat; } > '" << asked << "'\n"
                        << "printf '{\"ServerURL\":\"%s\",\"Username\":\"%s\",\"Secret\":\"%s\"}' '"
                        << p.lab().private_registry << "' '" << p.lab().private_user << "' '"
                        << p.lab().private_password << "'\n";
  std::filesystem::permissions(helper, std::filesystem::perms::owner_all);
  std::ofstream(config + "/config.json")
      << "{\"credHelpers\": {\"" << p.lab().private_registry << "\": \"jlrectest\"}}\n";
  const char* path = std::getenv("PATH");
  auto apply =
      p.Apply({{"DOCKER_CONFIG", config}, {"PATH", bin + ":" + (path ? path : "/usr/bin:/bin")}});
  INFO(apply.out << apply.err);
  REQUIRE(apply.exit_code == 0);
  CHECK(ReadBytes(asked) == "get\n" + p.lab().private_registry);
  CHECK(p.ImageOnHost());
  CHECK(p.AppImage() == p.lab().private_image);
  CHECK(p.AppState() == "running");
}

TEST_CASE("a wrong password is a clear per-image error and creates nothing",
          "[lab][registry-auth]") {
  PrivateImageProject p("regauth_wrong");
  p.AddManifestLogin();
  const auto env = PasswordEnv("not-the-lab-password");
  const std::string refused = "registry " + p.lab().private_registry +
                              " refused the credentials for " + p.lab().private_user;

  auto plan = p.project().Jlrec({"plan", "--all"}, "", env);
  INFO(plan.out << plan.err);
  CHECK(plan.exit_code == 0);  // the host might hold the image: a warning, not an error
  CHECK(Contains(plan.out + plan.err, "Warning: could not check the registry digest of " +
                                          p.lab().private_image + " on lab1"));
  CHECK(Contains(plan.out + plan.err, refused));

  auto apply = p.Apply(env);
  INFO(apply.out << apply.err);
  CHECK(apply.exit_code != 0);
  CHECK(Contains(apply.out + apply.err, "lab1/" + p.project().Name("app")));
  CHECK(Contains(apply.out + apply.err, refused));
  CHECK_FALSE(Contains(plan.out + plan.err + apply.out + apply.err, "not-the-lab-password"));
  CHECK(p.AppImage().empty());
  CHECK_FALSE(p.ImageOnHost());
}

TEST_CASE("without any login for it the registry's refusal says how to give one",
          "[lab][registry-auth]") {
  PrivateImageProject p("regauth_none");
  // An empty client config folder: the operator's own ~/.docker is not consulted.
  const std::map<std::string, std::string> env{{"DOCKER_CONFIG", p.Folder("empty-config")}};
  auto apply = p.Apply(env);
  INFO(apply.out << apply.err);
  CHECK(apply.exit_code != 0);
  CHECK(Contains(apply.out + apply.err, "registry " + p.lab().private_registry +
                                            " requires a login and jlrec has none for it"));
  CHECK(p.AppImage().empty());
}

TEST_CASE("a password written in the manifest is a validation error at its position",
          "[lab][registry-auth]") {
  PrivateImageProject p("regauth_literal");
  const std::string manifest = ReadBytes(p.project().manifest());
  const int lines = static_cast<int>(std::count(manifest.begin(), manifest.end(), '\n'));
  p.Append("registries:\n  " + p.lab().private_registry + ":\n    username: " +
           p.lab().private_user + "\n    password: " + p.lab().private_password + "\n");
  auto validate = RunJlrec({"validate", "-m", p.project().manifest()});
  INFO(validate.out << validate.err);
  CHECK(validate.exit_code == 1);
  CHECK(Contains(validate.out + validate.err,
                 p.project().manifest() + ":" + std::to_string(lines + 4) +
                     ":15: error: the password of registry \"" + p.lab().private_registry +
                     "\" must be a ${VAR} reference"));
  CHECK_FALSE(Contains(validate.out + validate.err, p.lab().private_password));
  // Every command that loads the manifest refuses it, before contacting any host.
  auto plan = p.project().Jlrec({"plan", "--all"});
  CHECK(plan.exit_code == 1);
  CHECK(Contains(plan.err, "must be a ${VAR} reference"));
  CHECK_FALSE(Contains(plan.out + plan.err, p.lab().private_password));
}

TEST_CASE("the registry password appears in no output, log, journal or state file",
          "[lab][registry-auth]") {
  PrivateImageProject p("regauth_grep");
  p.AddManifestLogin();
  const auto env = PasswordEnv(p.lab().private_password);
  const std::string log = p.project().dir() + "/jlrec.log";
  auto validate = RunJlrec(
      {"validate", "-m", p.project().manifest(), "--script", "lab1/" + p.project().Name("app")}, "",
      env);
  INFO(validate.out << validate.err);
  REQUIRE(validate.exit_code == 0);
  std::string everything = validate.out + validate.err;
  for (std::vector<std::string> args : {std::vector<std::string>{"plan", "--all"},
                                        {"plan", "--all", "--json"},
                                        {"apply", "--all", "--auto-approve"},
                                        {"refresh"},
                                        {"plan", "--all", "--refresh=false"},
                                        {"plan", "--all", "--json", "--refresh=false"},
                                        {"history"},
                                        {"history", "--json"},
                                        {"drift", "--json"},
                                        {"show"}}) {
    args.insert(args.end(), {"-v", "--log-file", log});
    auto r = p.project().Jlrec(args, "", env);
    INFO(args[0] << ": " << r.out << r.err);
    if (args[0] == "apply") REQUIRE(r.exit_code == 0);
    everything += r.out + r.err;
  }
  REQUIRE(p.AppState() == "running");
  everything += ReadBytes(log);
  const std::string state_dir = p.project().dir() + "/.jlrec";
  int state_files = 0;
  for (const auto& file : std::filesystem::directory_iterator(state_dir)) {
    everything += ReadBytes(file.path().string());
    ++state_files;
  }
  CHECK(state_files >= 1);

  jlrec::RegistryCredential login;
  login.registry = p.lab().private_registry;
  login.username = p.lab().private_user;
  login.password = p.lab().private_password;
  CHECK_FALSE(Contains(everything, p.lab().private_password));
  CHECK_FALSE(Contains(everything, Base64(p.lab().private_user + ":" + p.lab().private_password)));
  CHECK_FALSE(Contains(everything, jlrec::RegistryAuthHeader(login)));
}
