#include "support/lab_env.h"

#include <fstream>
#include <map>
#include <stdexcept>

namespace jlrec::testing {

namespace {
std::map<std::string, std::string> ReadEnvFile(const std::string& path) {
  std::map<std::string, std::string> kv;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto eq = line.find('=');
    if (eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return kv;
}
}  // namespace

LabHost LabEnv::Host(int n) const {
  LabHost h;
  h.index = n;
  h.key = "lab" + std::to_string(n);
  h.address = "127.0.0." + std::to_string(n + 1);
  h.docker_socket = dir + "/h" + std::to_string(n) + "/docker.sock";
  return h;
}

HostConnection LabEnv::Connection(int n, const std::string& user) const {
  const LabHost lab = Host(n);
  HostConnection host;
  host.key = lab.key;
  host.address = lab.address;
  host.port = lab.port;
  host.user = user;
  host.identity_file = identity_file;
  host.known_hosts = known_hosts;
  host.docker_socket = lab.docker_socket;
  return host;
}

LabEnv ReadLabEnv() {
  LabEnv env;
  env.dir = JLREC_LAB_DIR;
  auto kv = ReadEnvFile(env.dir + "/lab.env");
  if (kv.empty())
    throw std::runtime_error("the lab is not up (no " + env.dir +
                             "/lab.env): run `bash tests/lab/lab.sh up` first");
  env.hosts = std::stoi(kv["JLREC_LAB_HOSTS"]);
  env.identity_file = kv["JLREC_LAB_IDENTITY"];
  env.known_hosts = kv["JLREC_LAB_KNOWN_HOSTS"];
  env.image1 = kv["JLREC_LAB_IMAGE_1"];
  env.image2 = kv["JLREC_LAB_IMAGE_2"];
  env.private_registry = kv["JLREC_LAB_PRIVATE_REGISTRY"];
  env.private_user = kv["JLREC_LAB_PRIVATE_USER"];
  env.private_password = kv["JLREC_LAB_PRIVATE_PASSWORD"];
  env.private_image = kv["JLREC_LAB_PRIVATE_IMAGE"];
  env.postgres_url = kv["JLREC_LAB_POSTGRES_URL"];
  env.postgres_passfile = kv["JLREC_LAB_POSTGRES_PASSFILE"];
  env.postgres_admin = kv["JLREC_LAB_POSTGRES_ADMIN"];
  return env;
}

ProcessResult LabCommand(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"bash", std::string(JLREC_SOURCE_DIR) + "/tests/lab/lab.sh"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv);
}

ProcessResult LabDocker(int host, const std::vector<std::string>& args) {
  std::vector<std::string> argv{"docker", "-H", "unix://" + ReadLabEnv().Host(host).docker_socket};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv);
}

}  // namespace jlrec::testing
