// Syntax checks of single values: image references, volume and port specs, names,
// durations, ${VAR} expansion and did-you-mean.
#include <catch2/catch.hpp>

#include "manifests/env_expansion.h"
#include "manifests/field_formats.h"
#include "manifests/suggestion.h"

using namespace jlrec;

TEST_CASE("image references follow Docker's grammar", "[formats]") {
  for (const char* ok :
       {"busybox", "busybox:1.36", "jiliang/system:2.3", "127.0.0.1:5000/jlrec-lab/base:1",
        "localhost/app", "registry.example.com/team/app_x.y-z:v1.2-rc_3",
        "Registry.Example.com:443/app",
        "app@sha256:"
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "a/b__c/d--e:latest"}) {
    INFO(ok);
    CHECK_FALSE(CheckImageReference(ok).has_value());
  }
  CHECK(CheckImageReference("Jiliang/system") ==
        "repository name must be lower-case (\"Jiliang\")");
  CHECK(CheckImageReference("app:") == "empty tag after \":\"");
  CHECK(CheckImageReference("app:-bad") ==
        "invalid tag \"-bad\" (expected [A-Za-z0-9_][A-Za-z0-9_.-]*)");
  CHECK(CheckImageReference("app name") == "whitespace or control character in image reference");
  CHECK(CheckImageReference("a//b") == "empty path component in repository name");
  CHECK(CheckImageReference("app@sha256:abc") == "sha256 digest must have 64 hex digits");
  CHECK(CheckImageReference("reg:99999/app") == "invalid registry port");
  CHECK(CheckImageReference("-app") ==
        "invalid repository path component \"-app\" (lower-case letters and digits, separated "
        "by \".\", \"_\", \"__\" or \"-\")");
  CHECK(CheckImageReference("") == "empty image reference");
}

TEST_CASE("volume specs are SRC:DST[:OPTS] with absolute destinations", "[formats]") {
  for (const char* ok : {"/data/workspace:/workspace", "/a:/b:ro", "named_vol:/data:rw,z",
                         "/a:/b:ro,rshared,nocopy"}) {
    INFO(ok);
    CHECK_FALSE(CheckVolumeSpec(ok).has_value());
  }
  CHECK(CheckVolumeSpec("/data") == "expected SRC:DST[:OPTS] (e.g. /data/workspace:/workspace:ro)");
  CHECK(CheckVolumeSpec("/a:/b:ro:x") ==
        "expected SRC:DST[:OPTS] (e.g. /data/workspace:/workspace:ro)");
  CHECK(CheckVolumeSpec("/a:b") == "destination must be an absolute path");
  CHECK(CheckVolumeSpec("/a:/") == "destination can't be \"/\"");
  CHECK(CheckVolumeSpec(":/b") == "empty source");
  CHECK(CheckVolumeSpec("../x:/b") ==
        "source must be an absolute host path or a volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)");
  CHECK(CheckVolumeSpec("/a:/b:ro,rw") == "volume options ro and rw are exclusive");
  CHECK(CheckVolumeSpec("/a:/b:fast") == "unknown volume option \"fast\"");
  CHECK(CheckVolumeSpec("/a:/b:ro,ro") == "volume option \"ro\" repeated");
}

TEST_CASE("port specs are validated by the one grammar apply creates them with", "[formats]") {
  // Container-only ports and an address with no host port let Docker pick the host port.
  for (const char* ok :
       {"8080:80", "127.0.0.1:8080:80/tcp", "[::1]:53:53/udp", "8000-8010:8000-8010",
        "9000:80/sctp", "80", "80-81/udp", "127.0.0.1::53/udp"}) {
    INFO(ok);
    CHECK_FALSE(CheckPortSpec(ok).has_value());
  }
  CHECK(CheckPortSpec("0:80") == "invalid host port \"0\" (1..65535, or a range N-M)");
  // One host port for a container range: apply could not create it port for port.
  CHECK(CheckPortSpec("8080:80-81") == "host and container port ranges differ in size");
  CHECK(CheckPortSpec("1:2:3:4") ==
        "expected [[IP:]HOSTPORT:]CONTAINERPORT[/PROTO] (an IPv6 address in brackets)");
  CHECK(CheckPortSpec("80:80/icmp") == "protocol must be tcp, udp or sctp");
  CHECK(CheckPortSpec("300.0.0.1:80:80") == "invalid IPv4 address \"300.0.0.1\"");
  CHECK(CheckPortSpec("8000-8002:80-81") == "host and container port ranges differ in size");
}

TEST_CASE("container, group and host names follow their rules", "[formats]") {
  CHECK(IsValidContainerName("jl_core_51_1"));
  CHECK(IsValidContainerName("a.b-c"));
  CHECK_FALSE(IsValidContainerName("a"));  // Docker wants at least two characters
  CHECK_FALSE(IsValidContainerName("_x"));
  CHECK_FALSE(IsValidContainerName("x/y"));
  CHECK_FALSE(IsValidContainerName("名字"));
  CHECK(IsValidSimpleName("g"));
  CHECK_FALSE(IsValidSimpleName("a,b"));
  CHECK_FALSE(CheckHostKey("172.16.100.51").has_value());
  CHECK(CheckHostKey("a/b").has_value());
  CHECK(CheckHostAddress("-oProxyCommand=x") == "address must not start with \"-\"");
  CHECK(CheckUserName("root; rm").has_value());
  CHECK(CheckRuntimeMode("dev new") ==
        "runtime_mode \"dev new\" must match [A-Za-z0-9][A-Za-z0-9_.-]*");
  CHECK_FALSE(CheckRestartPolicy("on-failure:3").has_value());
  CHECK_FALSE(CheckNetworkMode("container:jl_core_1").has_value());
  CHECK_FALSE(CheckMaxUnavailable("1").has_value());
  CHECK_FALSE(CheckMaxUnavailable("25%").has_value());
  CHECK(CheckMaxUnavailable("0").has_value());
  CHECK(CheckMaxUnavailable("x%").has_value());
}

TEST_CASE("durations are NUMBER+UNIT pairs", "[formats]") {
  std::string problem;
  CHECK(ParseDuration("500ms", &problem) == std::chrono::milliseconds(500));
  CHECK(ParseDuration("1m30s", &problem) == std::chrono::milliseconds(90000));
  CHECK(ParseDuration("2h", &problem) == std::chrono::milliseconds(7200000));
  CHECK_FALSE(ParseDuration("60", &problem).has_value());
  CHECK(problem == "duration \"60\" needs a unit: ms, s, m or h");
  CHECK_FALSE(ParseDuration("0s", &problem).has_value());
  CHECK(problem == "duration must be greater than zero");
  CHECK_FALSE(ParseDuration("s", &problem).has_value());
}

TEST_CASE("${VAR} expansion reports unset variables by name only", "[formats]") {
  EnvLookup lookup = [](const std::string& name) -> std::optional<std::string> {
    if (name == "SET") return "value";
    if (name == "EMPTY") return "";
    return std::nullopt;
  };
  CHECK(ExpandEnvReferences("a ${SET} b${EMPTY}c", lookup).value == "a value bc");
  CHECK(ExpandEnvReferences("$${SET} $SET $", lookup).value == "${SET} $SET $");
  auto unset = ExpandEnvReferences("secret-${NOPE}", lookup);
  CHECK(unset.problems ==
        std::vector<std::string>{
            "environment variable NOPE is not set on this machine (referenced as ${NOPE})"});
  CHECK(ExpandEnvReferences("${1X}", lookup).problems ==
        std::vector<std::string>{
            "invalid variable name \"1X\" in ${...} (expected [A-Za-z_][A-Za-z0-9_]*)"});
  CHECK(ExpandEnvReferences("${SET", lookup).problems ==
        std::vector<std::string>{"unterminated ${ in env value (write $${ for a literal ${)"});
}

TEST_CASE("did-you-mean picks the nearest plausible name only", "[formats]") {
  const std::vector<std::string> keys = {"host", "dockers", "group", "core", "depends_on"};
  CHECK(NearestName("docker", keys) == "dockers");
  CHECK(NearestName("groups", keys) == "group");
  CHECK(NearestName("hsot", keys) == "host");  // a transposition is one edit
  CHECK(NearestName("Core", keys) == "core");
  CHECK_FALSE(NearestName("image_name", keys).has_value());
  CHECK(DidYouMean("dependson", keys) == "; did you mean \"depends_on\"?");
  CHECK(DidYouMean("zzz", keys) == "");
}
