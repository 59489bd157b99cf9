#include "manifest_test_support.h"

#include <unistd.h>
#include <catch2/catch.hpp>

#include <fstream>
#include <random>

namespace jlrec::testing {

namespace fs = std::filesystem;

ScratchDir::ScratchDir() {
  std::random_device random;
  dir_ = fs::temp_directory_path() /
         ("jlrec-manifest-test-" + std::to_string(getpid()) + "-" + std::to_string(random()));
  fs::create_directories(dir_);
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string ScratchDir::Path(const std::string& name) const { return (dir_ / name).string(); }

std::string ScratchDir::Write(const std::string& name, const std::string& content) const {
  const fs::path path = dir_ / name;
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
  return path.string();
}

ManifestFixture::ManifestFixture() {
  dir.Write("t.tmpl", kTestTemplate);
  env["HOME"] = "/home/operator";
}

LoadResult ManifestFixture::Load(const std::string& yaml) const {
  LoadOptions options;
  options.getenv = [this](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  options.script_key = script_key;
  return LoadManifestFromString(yaml, dir.Path("m.yaml"), options);
}

std::string ManifestFixture::At(int line, int column, const std::string& file) const {
  return dir.Path(file) + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::vector<std::string> Lines(const LoadResult& result) {
  std::vector<std::string> out;
  for (const auto& d : result.diagnostics) out.push_back(d.ToString());
  return out;
}

void Edit(std::string& text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
}

const char* const kMinimalManifest =
    "version: 1\n"                  // 1
    "project: p\n"                  // 2
    "defaults:\n"                   // 3
    "  image: img:1\n"              // 4
    "  template: t.tmpl\n"          // 5
    "hosts:\n"                      // 6
    "  h1: {address: 127.0.0.2}\n"  // 7
    "groups:\n"                     // 8
    "  g: {runtime_mode: dev}\n"    // 9
    "units:\n"                      // 10
    "  - host: h1\n"                // 11
    "    dockers: [c1]\n"           // 12
    "    group: [g]\n"              // 13
    "    core: true\n";             // 14

const DesiredContainer& Container(const LoadResult& result, const std::string& ref) {
  REQUIRE(result.state.has_value());
  for (const auto& c : result.state->containers) {
    if (c.Ref() == ref) return c;
  }
  FAIL("no container " << ref);
  throw std::logic_error("unreachable");
}

}  // namespace jlrec::testing
