// The files a manifest names (-m, include:, template:) are regular files of at most 64 MiB,
// read through one function: devices, FIFOs and folders are refused at once, with the
// position of the key that named them.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <future>

#include "manifest_test_support.h"
#include "manifests/source_files.h"

using Catch::Matchers::Contains;
using jlrec::LoadManifest;
using jlrec::LoadResult;
using jlrec::ReadSourceFile;
using jlrec::testing::Edit;
using jlrec::testing::kMinimalManifest;
using jlrec::testing::Lines;
using jlrec::testing::ManifestFixture;
using jlrec::testing::ScratchDir;

namespace {

namespace fs = std::filesystem;

// Runs `work` and fails the test if it takes more than a few seconds. A read blocked on a
// FIFO is released by opening the FIFO for writing, so the test ends either way.
template <typename T>
T Bounded(const std::function<T()>& work, const std::string& fifo = "") {
  auto result = std::async(std::launch::async, work);
  if (result.wait_for(std::chrono::seconds(5)) == std::future_status::timeout) {
    FAIL_CHECK("still reading after 5 s (blocked on a FIFO?)");
    if (!fifo.empty()) ::close(::open(fifo.c_str(), O_WRONLY));
  }
  return result.get();
}

// A sparse file of `size` bytes (no disk space used).
std::string SparseFile(const ScratchDir& dir, const std::string& name, off_t size) {
  const std::string path = dir.Write(name, "");
  REQUIRE(::truncate(path.c_str(), size) == 0);
  return path;
}

std::string Fifo(const ScratchDir& dir, const std::string& name) {
  const std::string path = dir.Path(name);
  REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
  return path;
}

// The kinds of path a manifest may name that are not files to read, with the message part.
struct Unusable {
  std::string path;
  std::string says;
};

std::vector<Unusable> UnusablePaths(const ScratchDir& dir) {
  return {
      {"/dev/zero", "a character device, not a regular file"},
      {Fifo(dir, "fifo.yaml"), "a FIFO, not a regular file"},
      {(fs::create_directory(dir.Path("folder.yaml")), dir.Path("folder.yaml")),
       "a folder, not a regular file"},
      {SparseFile(dir, "huge.yaml", (off_t{64} << 20) + 1), "larger than 64 MiB"},
  };
}

}  // namespace

TEST_CASE("ReadSourceFile reads a regular file, also through a symlink", "[source-files]") {
  ScratchDir dir;
  const std::string file = dir.Write("a.yaml", "project: p\n");
  fs::create_symlink(file, dir.Path("link.yaml"));
  CHECK(*ReadSourceFile(file) == "project: p\n");
  CHECK(*ReadSourceFile(dir.Path("link.yaml")) == "project: p\n");
  CHECK(*ReadSourceFile(dir.Write("empty.yaml", "")) == "");
}

TEST_CASE("ReadSourceFile accepts exactly the limit and refuses one byte more", "[source-files]") {
  ScratchDir dir;
  CHECK(*ReadSourceFile(dir.Write("ten", "0123456789"), 10) == "0123456789");
  auto over = ReadSourceFile(dir.Write("eleven", "0123456789a"), 10);
  REQUIRE_FALSE(over.ok());
  CHECK(over.status().code() == jlrec::Status::Code::kInvalidArgument);
  CHECK(over.status().message() == "\"" + dir.Path("eleven") + "\": larger than 10 bytes");
}

TEST_CASE("ReadSourceFile refuses devices, FIFOs, folders and files over 64 MiB at once",
          "[source-files]") {
  ScratchDir dir;
  for (const auto& [unusable, says] : UnusablePaths(dir)) {
    const std::string path = unusable;  // (clang 15 lambdas cannot capture a binding)
    INFO(path);
    auto read = Bounded<jlrec::Result<std::string>>([&] { return ReadSourceFile(path); }, path);
    REQUIRE_FALSE(read.ok());
    CHECK(read.status().code() == jlrec::Status::Code::kInvalidArgument);
    CHECK(read.status().message() == "\"" + path + "\": " + says);
  }
  auto missing = ReadSourceFile(dir.Path("absent.yaml"));
  CHECK(missing.status().code() == jlrec::Status::Code::kNotFound);
  CHECK_THAT(missing.status().message(), Contains("No such file or directory"));
}

TEST_CASE("a manifest (-m) naming a device, a FIFO, a folder-like file or a huge file is one error",
          "[source-files]") {
  ScratchDir dir;
  for (const auto& [unusable, says] : UnusablePaths(dir)) {
    const std::string path = unusable;     // (clang 15 lambdas cannot capture a binding)
    if (fs::is_directory(path)) continue;  // -m DIR is a folder manifest
    INFO(path);
    LoadResult r = Bounded<LoadResult>([&] { return LoadManifest(path); }, path);
    CHECK(Lines(r) == std::vector<std::string>{path + ": error: cannot read manifest \"" + path +
                                               "\": " + says});
  }
  const std::string linked = dir.Write("real.yaml", kMinimalManifest);
  dir.Write("t.tmpl", jlrec::testing::kTestTemplate);
  fs::create_symlink(linked, dir.Path("link.yaml"));
  CHECK(LoadManifest(dir.Path("link.yaml")).ok());
}

TEST_CASE("include: naming a device, a FIFO, a folder or a huge file is an error at the entry",
          "[source-files]") {
  ManifestFixture f;
  for (const auto& [unusable, says] : UnusablePaths(f.dir)) {
    const std::string path = unusable;  // (clang 15 lambdas cannot capture a binding)
    INFO(path);
    LoadResult r = Bounded<LoadResult>(
        [&] { return f.Load(std::string(kMinimalManifest) + "include: [" + path + "]\n"); }, path);
    CHECK(Lines(r) == std::vector<std::string>{f.At(15, 11) + ": error: cannot read manifest \"" +
                                               path + "\": " + says});
  }
  const std::string real = f.dir.Write("real.yaml", "max_per_host: 2\n");
  fs::create_symlink(real, f.dir.Path("link.yaml"));
  LoadResult linked = f.Load(std::string(kMinimalManifest) + "include: [link.yaml]\n");
  INFO(Catch::Detail::stringify(Lines(linked)));
  REQUIRE(linked.ok());
  CHECK(linked.state->max_per_host == 2);
}

TEST_CASE("template: naming a device, a FIFO, a folder or a huge file is an error at the key",
          "[source-files]") {
  ManifestFixture f;
  for (const auto& [unusable, says] : UnusablePaths(f.dir)) {
    const std::string path = unusable;  // (clang 15 lambdas cannot capture a binding)
    INFO(path);
    std::string yaml = kMinimalManifest;
    Edit(yaml, "template: t.tmpl", "template: " + path);
    LoadResult r = Bounded<LoadResult>([&] { return f.Load(yaml); }, path);
    CHECK(Lines(r) == std::vector<std::string>{f.At(5, 13) + ": error: cannot read template \"" +
                                               path + "\": " + says});
  }
  fs::create_symlink(f.dir.Path("t.tmpl"), f.dir.Path("link.tmpl"));
  std::string yaml = kMinimalManifest;
  Edit(yaml, "template: t.tmpl", "template: link.tmpl");
  CHECK(f.Load(yaml).ok());
}

TEST_CASE("a manifest, its includes and templates load from an in-memory file set",
          "[source-files]") {
  jlrec::InMemorySourceFiles files;
  files.files["/m/m.yaml"] = std::string(kMinimalManifest) + "include: [more.yaml]\n";
  files.files["/m/more.yaml"] = "max_per_host: 3\n";
  files.files["/m/t.tmpl"] = "echo {{container}}\n";
  jlrec::LoadOptions options;
  options.files = &files;
  options.getenv = [](const std::string&) { return std::nullopt; };
  LoadResult r = LoadManifest("/m/m.yaml", options);
  INFO(Catch::Detail::stringify(Lines(r)));
  REQUIRE(r.ok());
  CHECK(r.state->max_per_host == 3);
  CHECK_THAT(r.state->containers.at(0).script, Contains("echo c1\n"));
}
