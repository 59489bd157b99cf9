#include "model/text_diff.h"

#include <algorithm>
#include <cstdint>
#include <unordered_map>

namespace jlrec {

namespace {

// Myers' difference over element ids, after diff-match-patch's diff_bisect: each call trims
// the common prefix and suffix, then finds the middle of a shortest path (where the forward
// and backward searches meet) and recurses on both halves. Linear memory: only the two
// frontiers of the current call are kept.
class Differ {
 public:
  Differ(const std::vector<int>& a, const std::vector<int>& b) : a_(a), b_(b) {}

  std::vector<DiffEdit> Run() {
    Diff(0, a_.size(), 0, b_.size());
    return std::move(out_);
  }

 private:
  using Index = std::int64_t;

  void Keep(std::size_t i, std::size_t j) { out_.push_back({DiffEdit::Op::kKeep, i, j}); }
  void Delete(std::size_t i, std::size_t j) { out_.push_back({DiffEdit::Op::kDelete, i, j}); }
  void Insert(std::size_t i, std::size_t j) { out_.push_back({DiffEdit::Op::kInsert, i, j}); }

  void Diff(std::size_t a0, std::size_t a1, std::size_t b0, std::size_t b1) {
    while (a0 < a1 && b0 < b1 && a_[a0] == b_[b0]) Keep(a0++, b0++);
    std::size_t suffix = 0;
    while (a1 - suffix > a0 && b1 - suffix > b0 && a_[a1 - suffix - 1] == b_[b1 - suffix - 1])
      ++suffix;
    a1 -= suffix;
    b1 -= suffix;
    if (a0 == a1) {
      for (std::size_t j = b0; j < b1; ++j) Insert(a0, j);
    } else if (b0 == b1) {
      for (std::size_t i = a0; i < a1; ++i) Delete(i, b0);
    } else {
      Bisect(a0, a1, b0, b1);
    }
    for (std::size_t k = 0; k < suffix; ++k) Keep(a1 + k, b1 + k);
  }

  // Both ranges non-empty and without a common prefix or suffix.
  void Bisect(std::size_t a0, std::size_t a1, std::size_t b0, std::size_t b1) {
    const Index n = static_cast<Index>(a1 - a0), m = static_cast<Index>(b1 - b0);
    const Index max_d = (n + m + 1) / 2;
    const Index offset = max_d, length = 2 * max_d + 2;
    std::vector<Index> forward(static_cast<std::size_t>(length), -1);
    std::vector<Index> backward(static_cast<std::size_t>(length), -1);
    auto f = [&](Index k) -> Index& { return forward[static_cast<std::size_t>(k)]; };
    auto r = [&](Index k) -> Index& { return backward[static_cast<std::size_t>(k)]; };
    f(offset + 1) = 0;
    r(offset + 1) = 0;
    const Index delta = n - m;
    // With an odd delta the paths meet on a forward step, with an even one on a backward step.
    const bool front = (delta & 1) != 0;
    auto A = [&](Index x) { return a_[a0 + static_cast<std::size_t>(x)]; };
    auto B = [&](Index y) { return b_[b0 + static_cast<std::size_t>(y)]; };
    Index k1start = 0, k1end = 0, k2start = 0, k2end = 0;
    for (Index d = 0; d < max_d; ++d) {
      for (Index k1 = -d + k1start; k1 <= d - k1end; k1 += 2) {
        const Index k1o = offset + k1;
        Index x1 = (k1 == -d || (k1 != d && f(k1o - 1) < f(k1o + 1))) ? f(k1o + 1) : f(k1o - 1) + 1;
        Index y1 = x1 - k1;
        while (x1 < n && y1 < m && A(x1) == B(y1)) ++x1, ++y1;
        f(k1o) = x1;
        if (x1 > n) {
          k1end += 2;  // ran off the right edge
        } else if (y1 > m) {
          k1start += 2;  // ran off the bottom edge
        } else if (front) {
          const Index k2o = offset + delta - k1;
          if (k2o >= 0 && k2o < length && r(k2o) != -1 && x1 >= n - r(k2o))
            return Split(a0, a1, b0, b1, x1, y1);
        }
      }
      for (Index k2 = -d + k2start; k2 <= d - k2end; k2 += 2) {
        const Index k2o = offset + k2;
        Index x2 = (k2 == -d || (k2 != d && r(k2o - 1) < r(k2o + 1))) ? r(k2o + 1) : r(k2o - 1) + 1;
        Index y2 = x2 - k2;
        while (x2 < n && y2 < m && A(n - x2 - 1) == B(m - y2 - 1)) ++x2, ++y2;
        r(k2o) = x2;
        if (x2 > n) {
          k2end += 2;
        } else if (y2 > m) {
          k2start += 2;
        } else if (!front) {
          const Index k1o = offset + delta - k2;
          if (k1o >= 0 && k1o < length && f(k1o) != -1) {
            const Index x1 = f(k1o), y1 = offset + x1 - k1o;
            if (x1 >= n - x2) return Split(a0, a1, b0, b1, x1, y1);
          }
        }
      }
    }
    // Nothing in common (not reached for non-empty ranges, kept as the safe answer).
    for (std::size_t i = a0; i < a1; ++i) Delete(i, b0);
    for (std::size_t j = b0; j < b1; ++j) Insert(a1, j);
  }

  void Split(std::size_t a0, std::size_t a1, std::size_t b0, std::size_t b1, Index x, Index y) {
    const std::size_t am = a0 + static_cast<std::size_t>(x), bm = b0 + static_cast<std::size_t>(y);
    Diff(a0, am, b0, bm);
    Diff(am, a1, bm, b1);
  }

  const std::vector<int>& a_;
  const std::vector<int>& b_;
  std::vector<DiffEdit> out_;
};

// Deletions before insertions within each run of changes, and each edit's "goes before"
// index recomputed for that order.
void Normalize(std::vector<DiffEdit>& edits) {
  for (std::size_t i = 0; i < edits.size();) {
    if (edits[i].op == DiffEdit::Op::kKeep) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < edits.size() && edits[end].op != DiffEdit::Op::kKeep) ++end;
    std::stable_partition(edits.begin() + static_cast<std::ptrdiff_t>(i),
                          edits.begin() + static_cast<std::ptrdiff_t>(end),
                          [](const DiffEdit& e) { return e.op == DiffEdit::Op::kDelete; });
    i = end;
  }
  std::size_t a = 0, b = 0;
  for (DiffEdit& e : edits) {
    e.a = a;
    e.b = b;
    if (e.op != DiffEdit::Op::kInsert) ++a;
    if (e.op != DiffEdit::Op::kDelete) ++b;
  }
}

std::string Range(std::size_t start, std::size_t count) {
  if (count == 0) return std::to_string(start) + ",0";
  if (count == 1) return std::to_string(start + 1);
  return std::to_string(start + 1) + "," + std::to_string(count);
}

}  // namespace

std::vector<DiffEdit> DiffSequences(const std::vector<std::string_view>& a,
                                    const std::vector<std::string_view>& b) {
  // Equal elements get equal ids: the algorithm then compares ints.
  std::unordered_map<std::string_view, int> ids;
  auto to_ids = [&](const std::vector<std::string_view>& seq) {
    std::vector<int> out;
    out.reserve(seq.size());
    for (std::string_view s : seq)
      out.push_back(ids.try_emplace(s, static_cast<int>(ids.size())).first->second);
    return out;
  };
  const std::vector<int> ia = to_ids(a), ib = to_ids(b);
  std::vector<DiffEdit> edits = Differ(ia, ib).Run();
  Normalize(edits);
  return edits;
}

std::vector<DiffHunk> GroupIntoHunks(const std::vector<DiffEdit>& edits, std::size_t context) {
  std::vector<DiffHunk> hunks;
  auto is_change = [&](std::size_t i) { return edits[i].op != DiffEdit::Op::kKeep; };
  std::size_t i = 0;
  while (i < edits.size()) {
    while (i < edits.size() && !is_change(i)) ++i;
    if (i == edits.size()) break;
    DiffHunk h;
    h.first = i - std::min(context, i);
    if (!hunks.empty()) h.first = std::max(h.first, hunks.back().last);
    std::size_t last_change = i;
    for (std::size_t j = i + 1; j < edits.size(); ++j) {
      if (!is_change(j)) continue;
      if (j - last_change - 1 > 2 * context) break;
      last_change = j;
    }
    h.last = std::min(edits.size(), last_change + 1 + context);
    h.a_start = edits[h.first].a;
    h.b_start = edits[h.first].b;
    for (std::size_t k = h.first; k < h.last; ++k) {
      h.a_count += edits[k].op != DiffEdit::Op::kInsert;
      h.b_count += edits[k].op != DiffEdit::Op::kDelete;
    }
    hunks.push_back(h);
    i = last_change + 1;
  }
  return hunks;
}

std::string HunkHeader(std::size_t a_start, std::size_t a_count, std::size_t b_start,
                       std::size_t b_count) {
  return "@@ -" + Range(a_start, a_count) + " +" + Range(b_start, b_count) + " @@";
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t eol = text.find('\n', start);
    const std::size_t end = eol == std::string_view::npos ? text.size() : eol + 1;
    lines.push_back(text.substr(start, end - start));
    start = end;
  }
  return lines;
}

std::string UnifiedDiff(std::string_view a, std::string_view b, std::string_view a_label,
                        std::string_view b_label, std::size_t context) {
  const std::vector<std::string_view> la = SplitLines(a), lb = SplitLines(b);
  const std::vector<DiffEdit> edits = DiffSequences(la, lb);
  const std::vector<DiffHunk> hunks = GroupIntoHunks(edits, context);
  if (hunks.empty()) return "";
  std::string out;
  out.append("--- ").append(a_label).append("\n+++ ").append(b_label).append("\n");
  for (const DiffHunk& h : hunks) {
    out += HunkHeader(h.a_start, h.a_count, h.b_start, h.b_count) + "\n";
    for (std::size_t k = h.first; k < h.last; ++k) {
      const DiffEdit& e = edits[k];
      const std::string_view line = e.op == DiffEdit::Op::kInsert ? lb[e.b] : la[e.a];
      out += e.op == DiffEdit::Op::kKeep ? ' ' : e.op == DiffEdit::Op::kDelete ? '-' : '+';
      if (!line.empty() && line.back() == '\n') {
        out.append(line);
      } else {
        out.append(line).append("\n\\ No newline at end of file\n");
      }
    }
  }
  return out;
}

}  // namespace jlrec
