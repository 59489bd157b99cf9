// `ssh_host` in a hosts: entry: jlrec connects through that OpenSSH config entry, and the
// containers are told `address` (JL_HOST, JL_MASTER_HOST), which is never connected to.
#include <catch2/catch.hpp>

#include "manifest_test_support.h"
#include "manifests/manifest_digest.h"
#include "manifests/resolved_manifest_codec.h"

using Catch::Matchers::Contains;
using Catch::Matchers::VectorContains;
using jlrec::LoadResult;
using jlrec::testing::Container;
using jlrec::testing::Edit;
using jlrec::testing::kMinimalManifest;
using jlrec::testing::Lines;
using jlrec::testing::ManifestFixture;

namespace {

// kMinimalManifest with line 7 (its only hosts: entry) replaced by `host_line`.
std::string WithHostLine(const std::string& host_line) {
  std::string yaml = kMinimalManifest;
  Edit(yaml, "  h1: {address: 127.0.0.2}\n", host_line);
  return yaml;
}

bool Mentions(const std::vector<std::string>& lines, const std::string& text) {
  for (const auto& line : lines)
    if (line.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("with ssh_host the containers are told the address, and the alias is kept to connect",
          "[manifests][ssh-host]") {
  ManifestFixture f;
  std::string yaml = WithHostLine(
      "  h1: {ssh_host: lab1-alias, address: 127.0.0.9}\n"
      "  h2: {address: 127.0.0.3}\n");
  yaml += "  - {host: h2, dockers: [w1], group: [g]}\n";
  yaml += "host_defaults: {user: deploy, port: 2200}\n";
  LoadResult r = f.Load(yaml);
  INFO(Catch::Detail::stringify(Lines(r)));
  REQUIRE(r.ok());
  const auto& h1 = r.state->hosts.at("h1");
  CHECK(h1.ssh_host == "lab1-alias");
  CHECK(h1.address == "127.0.0.9");
  // host_defaults are written in the manifest: they win over the config entry, as for any host.
  CHECK(h1.user == "deploy");
  CHECK(h1.port == 2200);
  CHECK(r.state->hosts.at("h2").ssh_host.empty());

  const auto& core = Container(r, "h1/c1");
  CHECK(core.env.at("JL_HOST") == "127.0.0.9");
  CHECK_THAT(core.script, Contains("export JL_HOST='127.0.0.9'"));
  const auto& worker = Container(r, "h2/w1");
  CHECK(worker.env.at("JL_HOST") == "127.0.0.3");
  CHECK(worker.env.at("JL_MASTER_HOST") == "127.0.0.9");
  CHECK_THAT(worker.script, Contains("export JL_MASTER_HOST='127.0.0.9'"));
  for (const auto& c : r.state->containers) {
    for (const auto& [name, value] : c.env) CHECK(value.find("lab1-alias") == std::string::npos);
  }
}

TEST_CASE("a host key with neither address nor ssh_host is still its own address",
          "[manifests][ssh-host]") {
  ManifestFixture f;
  LoadResult r = f.Load(WithHostLine("  h1: {port: 2200}\n"));
  REQUIRE(r.ok());
  CHECK(r.state->hosts.at("h1").address == "h1");
  CHECK(r.state->hosts.at("h1").ssh_host.empty());
  CHECK(Container(r, "h1/c1").env.at("JL_HOST") == "h1");
}

TEST_CASE("ssh_host without address is an error at ssh_host: HostName is never guessed",
          "[manifests][ssh-host]") {
  ManifestFixture f;
  LoadResult r = f.Load(WithHostLine("  h1: {ssh_host: lab1-alias}\n"));
  CHECK_FALSE(r.ok());
  CHECK_THAT(Lines(r),
             VectorContains(f.At(7, 18) + ": error: host \"h1\" sets ssh_host but no address: add "
                                          "\"address\", the name or IP its containers are told "
                                          "(JL_HOST, JL_MASTER_HOST)"));
}

TEST_CASE("a misspelt or malformed address beside ssh_host is reported once, not as missing",
          "[manifests][ssh-host]") {
  ManifestFixture f;
  LoadResult misspelt = f.Load(WithHostLine("  h1: {ssh_host: a1, adress: 127.0.0.9}\n"));
  CHECK_THAT(Lines(misspelt),
             VectorContains(f.At(7, 22) + ": error: unknown key \"adress\" in host \"h1\"; "
                                          "did you mean \"address\"?"));
  CHECK_FALSE(Mentions(Lines(misspelt), "but no address"));

  LoadResult malformed = f.Load(WithHostLine("  h1: {ssh_host: a1, address: -x}\n"));
  CHECK_THAT(Lines(malformed),
             VectorContains(f.At(7, 31) + ": error: address must not start with \"-\""));
  CHECK_FALSE(Mentions(Lines(malformed), "but no address"));
}

TEST_CASE("ssh_host must be one plain config entry name", "[manifests][ssh-host]") {
  ManifestFixture f;
  auto error_for = [&](const std::string& value) {
    LoadResult r = f.Load(WithHostLine("  h1: {ssh_host: \"" + value + "\", address: h1}\n"));
    CHECK_FALSE(r.ok());
    std::vector<std::string> lines = Lines(r);
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::StartsWith(f.At(7, 18) + ": error: "));
    return lines[0].substr(lines[0].find(": error: ") + 9);
  };
  CHECK(error_for("-oProxyCommand=sh") == "ssh_host must not start with \"-\"");
  CHECK(error_for("") == "ssh_host is empty");
  for (const char* bad : {"lab 1", "root@lab1", "lab*", "lab1;true", "$(id)", ".lab1"}) {
    INFO(bad);
    CHECK(error_for(bad) == "ssh_host \"" + std::string(bad) +
                                "\" is not a plain ssh config entry name "
                                "([A-Za-z0-9_][A-Za-z0-9_.:-]*)");
  }
  for (const char* good : {"lab1-alias", "prod_db.example", "h1", "fe80::1"}) {
    INFO(good);
    CHECK(f.Load(WithHostLine("  h1: {ssh_host: \"" + std::string(good) + "\", address: h1}\n"))
              .ok());
  }
}

TEST_CASE("ssh_host names one host, so host_defaults may not set it", "[manifests][ssh-host]") {
  ManifestFixture f;
  LoadResult r = f.Load(std::string(kMinimalManifest) + "host_defaults: {ssh_host: bastion}\n");
  CHECK_THAT(Lines(r), VectorContains(f.At(15, 17) +
                                      ": error: \"ssh_host\" names the ssh config entry of one "
                                      "host: set it in that host's entry under hosts:, not in "
                                      "host_defaults"));
}

TEST_CASE("ssh_host is part of the manifest digest and of the resolved-manifest cache",
          "[manifests][ssh-host]") {
  ManifestFixture f;
  LoadResult plain = f.Load(WithHostLine("  h1: {address: 127.0.0.9}\n"));
  LoadResult alias_a = f.Load(WithHostLine("  h1: {ssh_host: a1, address: 127.0.0.9}\n"));
  LoadResult alias_b = f.Load(WithHostLine("  h1: {ssh_host: b1, address: 127.0.0.9}\n"));
  REQUIRE(plain.ok());
  REQUIRE(alias_a.ok());
  REQUIRE(alias_b.ok());
  CHECK(plain.state->manifest_digest != alias_a.state->manifest_digest);
  CHECK(alias_a.state->manifest_digest != alias_b.state->manifest_digest);
  CHECK(jlrec::ManifestDigest(*alias_a.state, "") == alias_a.state->manifest_digest);

  auto cached = jlrec::DecodeResolvedManifest(jlrec::EncodeResolvedManifest(*alias_a.state, {}));
  REQUIRE(cached.ok());
  CHECK(cached->state.hosts.at("h1").ssh_host == "a1");
  CHECK(cached->state.hosts == alias_a.state->hosts);
}

TEST_CASE("a host without ssh_host keeps the digest it had before ssh_host existed",
          "[manifests][ssh-host]") {
  // Saved plans carry the manifest digest: upgrading jlrec must not make them all stale.
  jlrec::DesiredState s;
  s.project = "p";
  jlrec::HostConnection h;
  h.key = "h1";
  h.address = "127.0.0.2";
  h.port = 2222;
  h.user = "root";
  s.hosts["h1"] = h;
  jlrec::GroupSettings g;
  g.name = "g";
  g.runtime_mode = "dev";
  s.groups["g"] = g;
  jlrec::DesiredContainer c;
  c.host = "h1";
  c.name = "c1";
  c.groups = {"g"};
  c.spec.image = "img:1";
  c.env["A"] = "b";
  c.script_digest = "abc";
  s.containers.push_back(c);
  // Computed by the ManifestDigest of the commit before ssh_host (6d6e6e3).
  CHECK(jlrec::ManifestDigest(s, "") ==
        "aee131091b47f975a4a475507adbc8ee4c13ad5c656952d14ec9dafeb5ceff41");
  s.hosts["h1"].ssh_host = "h1-alias";
  CHECK(jlrec::ManifestDigest(s, "") !=
        "aee131091b47f975a4a475507adbc8ee4c13ad5c656952d14ec9dafeb5ceff41");
}
