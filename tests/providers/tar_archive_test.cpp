#include "providers/tar_archive.h"

#include <catch2/catch.hpp>

#include <string>

#include "providers/fake_streams.h"

namespace jlrec {
namespace {

TEST_CASE("a single-file tar reads back with its name, mode, mtime and bytes", "[providers][tar]") {
  std::string binary;
  for (int i = 0; i < 70000; ++i) binary += static_cast<char>(i * 31 % 256);  // NULs included
  for (const auto& [name, content, mode] : std::vector<std::tuple<std::string, std::string, int>>{
           {"run.sh", "#!/bin/sh\nexec sleep 1000\n", 0755},
           {"empty", "", 0600},
           {"blob.bin", binary, 0644},
           {"dir/sub/file", "x", 04755}}) {
    auto tar = WriteSingleFileTar(name, content, mode, 1700000000);
    REQUIRE(tar.ok());
    CHECK(tar->size() % 512 == 0);
    auto entries = ReadTar(*tar);
    REQUIRE(entries.ok());
    REQUIRE(entries->size() == 1);
    const TarEntry& e = entries->front();
    CHECK(e.path == name);
    CHECK(e.type == TarEntry::Type::kRegular);
    CHECK(e.mode == mode);
    CHECK(e.mtime == 1700000000);
    CHECK(e.content == content);
  }
}

TEST_CASE("the writer emits plain ustar for short names", "[providers][tar]") {
  auto tar = WriteSingleFileTar("run.sh", "echo hi\n", 0755, 0);
  REQUIRE(tar.ok());
  // ustar magic at offset 257, mode octal at 100, owner root.
  CHECK(tar->substr(257, 5) == "ustar");
  CHECK(std::stoi(tar->substr(100, 8), nullptr, 8) == 0755);
  CHECK(tar->substr(265, 4) == "root");
  CHECK(tar->substr(0, 7) == std::string("run.sh\0", 7));
}

TEST_CASE("names longer than ustar's 100 bytes are kept via pax", "[providers][tar]") {
  std::string name(150, 'n');
  auto tar = WriteSingleFileTar(name, "content", 0755, 0);
  REQUIRE(tar.ok());
  auto entries = ReadTar(*tar);
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 1);
  CHECK(entries->front().path == name);
  CHECK(entries->front().content == "content");
}

TEST_CASE("the writer rejects names and modes it must not write", "[providers][tar]") {
  CHECK(WriteSingleFileTar("", "x", 0644, 0).status().code() == Status::Code::kInvalidArgument);
  CHECK_FALSE(WriteSingleFileTar("/abs", "x", 0644, 0).ok());
  CHECK_FALSE(WriteSingleFileTar("../up", "x", 0644, 0).ok());
  CHECK_FALSE(WriteSingleFileTar("a/../b", "x", 0644, 0).ok());
  CHECK_FALSE(WriteSingleFileTar("f", "x", 010000, 0).ok());
  CHECK_FALSE(WriteSingleFileTar("f", "x", -1, 0).ok());
  CHECK(WriteSingleFileTar("a..b", "x", 0644, 0).ok());
}

TEST_CASE("the reader rejects garbage and oversized content", "[providers][tar]") {
  CHECK(ReadTar(std::string(1024, 'x')).status().code() == Status::Code::kRemoteError);
  auto tar = WriteSingleFileTar("big", std::string(1000, 'b'), 0644, 0);
  REQUIRE(tar.ok());
  CHECK(ReadTar(*tar, 999).status().code() == Status::Code::kRemoteError);
  CHECK(ReadTar(*tar, 1000).ok());
  // A truncated archive (the body of a cut connection) is an error, not a short file.
  CHECK_FALSE(ReadTar(tar->substr(0, 600)).ok());
}

TEST_CASE("the reader reports symlinks with their target", "[providers][tar]") {
  std::string tar = testing::SymlinkTar("run.sh", "/opt/run.sh");
  auto entries = ReadTar(tar);
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 1);
  CHECK(entries->front().type == TarEntry::Type::kSymlink);
  CHECK(entries->front().link_target == "/opt/run.sh");
}

}  // namespace
}  // namespace jlrec
