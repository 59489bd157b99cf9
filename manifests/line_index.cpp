#include "manifests/line_index.h"

#include <algorithm>

namespace jlrec {

LineIndex::LineIndex(std::string_view text) : starts_{0}, size_(text.size()) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') starts_.push_back(i + 1);
  }
}

std::pair<int, int> LineIndex::LineColumn(size_t offset) const {
  offset = std::min(offset, size_);
  const auto next = std::upper_bound(starts_.begin(), starts_.end(), offset);
  const size_t index = static_cast<size_t>(next - starts_.begin()) - 1;
  return {static_cast<int>(index) + 1, static_cast<int>(offset - starts_[index]) + 1};
}

}  // namespace jlrec
