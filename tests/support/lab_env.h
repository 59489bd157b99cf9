// What tests need to know about the running lab (tests/lab/lab.sh writes lab.env).
#pragma once

#include <string>

#include "model/desired_state.h"
#include "support/subprocess.h"

namespace jlrec::testing {

/// Connection facts of one lab host.
struct LabHost {
  int index = 0;        ///< 1-based, as lab.sh numbers hosts
  std::string key;      ///< "lab<N>", the host key used in manifests/lab.yaml
  std::string address;  ///< 127.0.0.(N+1)
  int port = 2222;
  std::string docker_socket;  ///< path on the host
};

/// The lab as described by $JLREC_LAB_DIR/lab.env.
struct LabEnv {
  std::string dir;             ///< JLREC_LAB_DIR
  int hosts = 0;               ///< number of hosts up
  std::string identity_file;   ///< client private key
  std::string known_hosts;     ///< known_hosts with every lab host key
  std::string image1, image2;  ///< registry images :1 and :2
  /// The registry that requires a login (htpasswd), its lab-only user and password, and the
  /// image it serves; empty when lab.env was written by a lab.sh without it.
  std::string private_registry, private_user, private_password, private_image;
  /// The lab's PostgreSQL server (issue 19): the URL of its `jlrec` database as role jlrec
  /// (no password in it), the .pgpass file that holds that role's password (give it as
  /// PGPASSFILE), and a libpq conninfo of the superuser over the lab's own socket (to make and
  /// drop scratch databases, or stop the server's sessions). Empty when lab.env was written
  /// by a lab.sh without it.
  std::string postgres_url, postgres_passfile, postgres_admin;
  /// Host `n` (1-based).
  LabHost Host(int n) const;
  /// How a manifest reaches host `n` as `user` (the lab's key and known_hosts).
  HostConnection Connection(int n, const std::string& user = "root") const;
};

/// Reads lab.env; fails the current test (REQUIRE) if the lab is not up.
LabEnv ReadLabEnv();

/// Runs `tests/lab/lab.sh args...` and returns its result.
ProcessResult LabCommand(const std::vector<std::string>& args);

/// Runs `docker -H unix://<socket of host n> args...` (the lab's own docker CLI access).
ProcessResult LabDocker(int host, const std::vector<std::string>& args);

}  // namespace jlrec::testing
