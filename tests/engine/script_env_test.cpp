#include <catch2/catch.hpp>

#include "engine/script_env.h"

using jlrec::ParseExportBlock;

TEST_CASE("the export block of /run.sh is read back with its quoting undone", "[script_env]") {
  std::string script =
      "#!/bin/sh\n"
      "export A='plain'\n"
      "export B='it'\\''s'\n"
      "export C='two\nlines'\n"
      "export D=''\n"
      "# export E='commented'\n"
      "sh /workspace/run.sh\n";
  auto env = ParseExportBlock(script);
  CHECK(env.size() == 4);
  CHECK(env["A"] == "plain");
  CHECK(env["B"] == "it's");
  CHECK(env["C"] == "two\nlines");
  CHECK(env["D"] == "");
}

TEST_CASE("hand-edited malformed export lines do not break the parse", "[script_env]") {
  auto env =
      ParseExportBlock("export ='x'\nexport 9A='x'\nexport OK='y'\nexport BAD='unterminated");
  CHECK(env.size() == 1);
  CHECK(env["OK"] == "y");
}
