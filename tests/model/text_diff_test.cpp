// The line diff plans show a /run.sh change with: shortest edit scripts, GNU-style hunks and
// headers, empty sides and a missing final newline.
#include <catch2/catch.hpp>

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "model/text_diff.h"

using jlrec::DiffEdit;
using jlrec::DiffSequences;
using jlrec::GroupIntoHunks;
using jlrec::HunkHeader;
using jlrec::SplitLines;
using jlrec::UnifiedDiff;

namespace {

std::string Numbers(int from, int to) {
  std::string out;
  for (int i = from; i <= to; ++i) out += std::to_string(i) + "\n";
  return out;
}

std::vector<std::string_view> Views(const std::vector<std::string>& v) {
  return {v.begin(), v.end()};
}

// The length of a longest common subsequence, by the textbook table.
std::size_t Lcs(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::vector<std::size_t>> t(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j)
      t[i][j] = a[i - 1] == b[j - 1] ? t[i - 1][j - 1] + 1 : std::max(t[i - 1][j], t[i][j - 1]);
  return t[a.size()][b.size()];
}

}  // namespace

TEST_CASE("equal texts have no diff", "[text_diff]") {
  CHECK(UnifiedDiff(Numbers(1, 20), Numbers(1, 20), "a", "b").empty());
  CHECK(UnifiedDiff("", "", "a", "b").empty());
  CHECK(GroupIntoHunks(DiffSequences({}, {}), 3).empty());
}

TEST_CASE("a changed line is shown with three lines of context and GNU line numbers",
          "[text_diff]") {
  std::string b = Numbers(1, 4) + "five\n" + Numbers(6, 10);
  CHECK(UnifiedDiff(Numbers(1, 10), b, "live", "wanted") ==
        "--- live\n+++ wanted\n"
        "@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
}

TEST_CASE("changes at most six unchanged lines apart share a hunk\\, further apart they do not",
          "[text_diff]") {
  // Lines 3 and 10 change: 6 unchanged lines between them, one hunk.
  std::string a = Numbers(1, 20);
  std::string near = Numbers(1, 2) + "x\n" + Numbers(4, 9) + "y\n" + Numbers(11, 20);
  std::string d = UnifiedDiff(a, near, "a", "b");
  CHECK(d.find("@@ -1,13 +1,13 @@\n") != std::string::npos);
  CHECK(d.find("@@ -", d.find("@@ -1,13") + 1) == std::string::npos);
  // Lines 3 and 11 change: 7 unchanged lines between them, two hunks.
  std::string far = Numbers(1, 2) + "x\n" + Numbers(4, 10) + "y\n" + Numbers(12, 20);
  d = UnifiedDiff(a, far, "a", "b");
  CHECK(d.find("@@ -1,6 +1,6 @@\n") != std::string::npos);
  CHECK(d.find("@@ -8,7 +8,7 @@\n") != std::string::npos);
}

TEST_CASE("an empty side is numbered 0\\,0 and every line of the other is added or removed",
          "[text_diff]") {
  CHECK(UnifiedDiff("", "a\nb\nc\n", "a", "b") == "--- a\n+++ b\n@@ -0,0 +1,3 @@\n+a\n+b\n+c\n");
  CHECK(UnifiedDiff("a\n", "", "a", "b") == "--- a\n+++ b\n@@ -1 +0,0 @@\n-a\n");
  CHECK(HunkHeader(4, 0, 4, 2) == "@@ -4,0 +5,2 @@");
}

TEST_CASE("a last line without a newline differs from the same line with one and says so",
          "[text_diff]") {
  CHECK(UnifiedDiff("a\nb", "a\nb\n", "a", "b") ==
        "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
  CHECK(SplitLines("a\nb") == std::vector<std::string_view>{"a\n", "b"});
  CHECK(SplitLines("a\n\n") == std::vector<std::string_view>{"a\n", "\n"});
}

TEST_CASE("within a change the removed lines come before the added ones", "[text_diff]") {
  auto edits = DiffSequences({"a", "b", "c"}, {"x", "b", "y", "z"});
  std::string ops;
  for (const DiffEdit& e : edits)
    ops += e.op == DiffEdit::Op::kKeep ? '=' : e.op == DiffEdit::Op::kDelete ? '-' : '+';
  CHECK(ops == "-+=-++");
}

TEST_CASE("the edit script is a shortest one and rebuilds both sides", "[text_diff]") {
  std::mt19937 random(7);
  for (int round = 0; round < 300; ++round) {
    std::vector<std::string> a, b;
    const int alphabet = 2 + round % 5;
    for (int i = 0, n = static_cast<int>(random() % 25); i < n; ++i)
      a.push_back(std::string(1, static_cast<char>('a' + random() % alphabet)));
    for (int i = 0, n = static_cast<int>(random() % 25); i < n; ++i)
      b.push_back(std::string(1, static_cast<char>('a' + random() % alphabet)));
    auto edits = DiffSequences(Views(a), Views(b));
    std::vector<std::string> from_a, from_b;
    std::size_t keeps = 0;
    for (const DiffEdit& e : edits) {
      if (e.op != DiffEdit::Op::kInsert) from_a.push_back(a[e.a]);
      if (e.op != DiffEdit::Op::kDelete) from_b.push_back(b[e.b]);
      if (e.op == DiffEdit::Op::kKeep) {
        REQUIRE(a[e.a] == b[e.b]);
        ++keeps;
      }
    }
    INFO("round " << round);
    CHECK(from_a == a);
    CHECK(from_b == b);
    CHECK(keeps == Lcs(a, b));
  }
}

TEST_CASE("a full rewrite of a script of a few thousand lines is diffed at once", "[text_diff]") {
  std::string a, b;
  for (int i = 0; i < 4000; ++i) {
    a += "echo old " + std::to_string(i) + "\n";
    b += "echo new " + std::to_string(i) + "\n";
  }
  const auto start = std::chrono::steady_clock::now();
  std::string d = UnifiedDiff(a, b, "a", "b");
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(d.find("@@ -1,4000 +1,4000 @@\n") != std::string::npos);
  CHECK(took < std::chrono::seconds(2));
}
