// Ports on the lab's real dockerd: every form `jlrec validate` accepts is one apply creates,
// and what Docker reads back matches the manifest (the one grammar, model/port_spec.h, and its
// canonical form in the diff); a form apply could not create is refused before any host is
// touched. The lab's daemons have no bridge, so the containers use network_mode none: Docker
// keeps their port bindings as asked, which is what the diff compares.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "support/lab_project.h"

using namespace jlrec::testing;

namespace {

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

LabUnit WithPorts(const std::string& ports) {
  return LabUnit{
      1, {"web"}, {"product"}, true, "    network_mode: none\n    ports: " + ports + "\n"};
}

// `jlrec validate` of the project's manifest (it takes no --no-color, which Jlrec() adds).
ProcessResult Validate(const LabProject& p) { return RunJlrec({"validate", "-m", p.manifest()}); }

}  // namespace

TEST_CASE("every port form validate accepts is created by apply and reads back in sync",
          "[lab][ports]") {
  LabProject p("e2eports");
  // Container-only, an address with no host port, equal-length ranges, IPv6, each protocol.
  p.Write(
      {WithPorts("[\"80\", \"127.0.0.1::5353/udp\", \"127.0.0.1:18000-18001:8000-8001\", "
                 "\"[::1]:18443:443\", \"9000/sctp\"]")});
  auto validate = Validate(p);
  INFO(validate.out << validate.err);
  REQUIRE(validate.exit_code == 0);

  auto applied = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(applied.out << applied.err);
  REQUIRE(applied.exit_code == 0);
  const std::string bindings = p.Inspect(1, "web", "{{json .HostConfig.PortBindings}}");
  INFO(bindings);
  CHECK(Contains(bindings, "\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}]"));
  CHECK(Contains(bindings, "\"5353/udp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"\"}]"));
  CHECK(Contains(bindings, "\"8000/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"18000\"}]"));
  CHECK(Contains(bindings, "\"8001/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"18001\"}]"));
  CHECK(Contains(bindings, "\"443/tcp\":[{\"HostIp\":\"::1\",\"HostPort\":\"18443\"}]"));
  CHECK(Contains(bindings, "\"9000/sctp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}]"));

  // What Docker reads back is what the manifest asks for: in sync, no replace.
  auto plan = p.Jlrec({"plan", "product", "--detailed-exitcode"});
  INFO(plan.out << plan.err);
  CHECK(plan.exit_code == 0);
  CHECK(Contains(plan.out, "No changes"));

  // The same ports written another way (range split, protocol explicit, other order): same.
  p.Write(
      {WithPorts("[\"9000/sctp\", \"[::1]:18443:443/tcp\", \"127.0.0.1:18001:8001\", "
                 "\"127.0.0.1:18000:8000/tcp\", \"127.0.0.1::5353/udp\", \"80/tcp\"]")});
  auto same = p.Jlrec({"plan", "product", "--detailed-exitcode"});
  INFO(same.out << same.err);
  CHECK(same.exit_code == 0);

  // One host port moved: a replace naming the ports.
  p.Write(
      {WithPorts("[\"80\", \"127.0.0.1::5353/udp\", \"127.0.0.1:18000-18001:8000-8001\", "
                 "\"[::1]:18444:443\", \"9000/sctp\"]")});
  auto moved = p.Jlrec({"plan", "product", "--detailed-exitcode"});
  INFO(moved.out << moved.err);
  CHECK(moved.exit_code == 2);
  CHECK(Contains(moved.out, "-/+ lab1/" + p.Name("web")));
  CHECK(Contains(moved.out, "immutable fields differ: ports"));
  auto reapplied = p.Jlrec({"apply", "product", "--auto-approve"});
  INFO(reapplied.out << reapplied.err);
  CHECK(reapplied.exit_code == 0);
  CHECK(Contains(p.Inspect(1, "web", "{{json .HostConfig.PortBindings}}"),
                 "\"443/tcp\":[{\"HostIp\":\"::1\",\"HostPort\":\"18444\"}]"));
  CHECK(p.Jlrec({"plan", "product", "--detailed-exitcode"}).exit_code == 0);
}

TEST_CASE("a port form apply could not create is refused at validate, plan and apply",
          "[lab][ports]") {
  LabProject p("e2eports2");
  // One host port for a two-port container range: Docker cannot publish it port for port.
  p.Write({WithPorts("[\"8080:80-81\"]")});
  std::string where;
  {
    std::ifstream in(p.manifest());
    std::string line;
    for (int n = 1; std::getline(in, line); ++n)
      if (Contains(line, "8080:80-81"))
        where =
            p.manifest() + ":" + std::to_string(n) + ":" + std::to_string(line.find("8080:80-81"));
  }
  REQUIRE_FALSE(where.empty());
  for (const std::vector<std::string>& cmd :
       {std::vector<std::string>{"validate"}, std::vector<std::string>{"plan", "product"},
        std::vector<std::string>{"apply", "product", "--auto-approve"}}) {
    auto r = cmd[0] == "validate" ? Validate(p) : p.Jlrec(cmd);
    INFO(cmd[0] << ": " << r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK(Contains(r.err, where));  // file:line:col of the value (the quote's column)
    CHECK(Contains(r.err, "host and container port ranges differ in size"));
  }
  CHECK(p.Inspect(1, "web", "{{.Id}}").empty());  // nothing was made
}
