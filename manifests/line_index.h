// Byte offsets of one text -> 1-based line and column, in O(log lines) per lookup: built once
// per text, so that a reader reporting many positions stays linear in the text.
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

namespace jlrec {

/// Where each line of a text starts.
class LineIndex {
 public:
  /// Indexes `text` (one pass); `text` need not outlive the index.
  explicit LineIndex(std::string_view text);
  /// 1-based line and column (in bytes) of byte `offset`; an offset past the end is the end.
  std::pair<int, int> LineColumn(size_t offset) const;

 private:
  std::vector<size_t> starts_;  // offset of each line's first byte; starts_[0] == 0
  size_t size_;
};

}  // namespace jlrec
