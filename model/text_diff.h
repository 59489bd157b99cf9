// Line diffs: the shortest edit script between two sequences (Myers' O(ND) algorithm in
// linear space, as GNU diff and diff-match-patch use it), grouped into unified-diff hunks.
// Plans show a /run.sh change with it; the elements are opaque strings, so a caller may diff
// lines, or larger units that it redacts before printing.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace jlrec {

/// One step of an edit script turning sequence A into sequence B.
struct DiffEdit {
  enum class Op { kKeep, kDelete, kInsert };
  Op op = Op::kKeep;
  std::size_t a = 0;  ///< index in A (kKeep, kDelete); for kInsert, the A index it goes before
  std::size_t b = 0;  ///< index in B (kKeep, kInsert); for kDelete, the B index it goes before
  bool operator==(const DiffEdit&) const = default;
};

/// A shortest edit script from `a` to `b` (elements compared as strings): every element of
/// both appears once, in order; within each run of changes the deletions come before the
/// insertions, as a unified diff prints them. O((N+M)·D) time, O(N+M) memory, so a full
/// rewrite of a script of a few thousand lines stays well under a second.
std::vector<DiffEdit> DiffSequences(const std::vector<std::string_view>& a,
                                    const std::vector<std::string_view>& b);

/// A unified-diff hunk: a stretch of the edit script with its context.
struct DiffHunk {
  std::size_t a_start = 0;  ///< first A index it covers (0-based)
  std::size_t a_count = 0;  ///< A elements it covers
  std::size_t b_start = 0;  ///< first B index it covers (0-based)
  std::size_t b_count = 0;  ///< B elements it covers
  std::size_t first = 0;    ///< its edits: [first, last) in the edit script
  std::size_t last = 0;
};

/// The hunks of `edits` with `context` kept elements around each change; changes closer than
/// 2 × context kept elements share a hunk. Empty when nothing changes.
std::vector<DiffHunk> GroupIntoHunks(const std::vector<DiffEdit>& edits, std::size_t context);

/// The "@@ -A,N +B,M @@" line of a hunk over lines (0-based starts, as DiffHunk has them),
/// numbered as GNU diff does: 1-based, ",N" left out when N is 1, and a side with no line
/// numbered by the line before it.
std::string HunkHeader(std::size_t a_start, std::size_t a_count, std::size_t b_start,
                       std::size_t b_count);

/// `text` cut after each '\n'; each line keeps its '\n', so a last line without one differs
/// from the same line with one.
std::vector<std::string_view> SplitLines(std::string_view text);

/// The unified diff of `a` and `b` ("--- a_label", "+++ b_label", hunks with `context`
/// lines, "\ No newline at end of file" where one side's last line has none); "" when they
/// are equal.
std::string UnifiedDiff(std::string_view a, std::string_view b, std::string_view a_label,
                        std::string_view b_label, std::size_t context = 3);

}  // namespace jlrec
