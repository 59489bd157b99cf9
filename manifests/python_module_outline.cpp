#include "manifests/python_module_outline.h"

#include <algorithm>
#include <optional>

namespace jlrec {

namespace {

// A commented-out call longer than this is taken for prose, not a call.
constexpr int kMaxCommentedCallLines = 50;
// A block header longer than this is shortened in messages.
constexpr size_t kMaxHeaderShown = 60;

// Python 3 identifiers may hold non-ASCII letters: a byte >= 0x80 continues a name, so
// `我的deploy_system(` is not a call of deploy_system.
bool IsNameByte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '_' ||
         u >= 0x80;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsStringPrefix(const std::string& word) {
  if (word.empty() || word.size() > 2) return false;
  std::string lower;
  for (char c : word) lower += static_cast<char>(c | 0x20);
  return lower == "r" || lower == "u" || lower == "b" || lower == "f" || lower == "br" ||
         lower == "rb" || lower == "fr" || lower == "rf";
}

std::string CollapseSpaces(const std::string& text) {
  std::string out;
  for (char c : text) {
    const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\\';
    if (space) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// How a block header (the text of a compound statement up to its ':') affects the calls in
// its body.
enum class BlockKind { kMain, kFunction, kTransparent, kConditional };

std::optional<BlockKind> ClassifyHeader(const std::string& header) {
  size_t end = 0;
  while (end < header.size() && IsNameByte(header[end])) ++end;
  std::string word = header.substr(0, end);
  std::string rest = header.substr(end);
  if (word == "async") {
    size_t start = end;
    while (start < header.size() && header[start] == ' ') ++start;
    end = start;
    while (end < header.size() && IsNameByte(header[end])) ++end;
    word = header.substr(start, end - start);
  }
  if (word == "def" || word == "class") return BlockKind::kFunction;
  if (word == "try" || word == "finally" || word == "with") return BlockKind::kTransparent;
  if (word == "if") {
    std::string condition;
    for (char c : rest) {
      if (c != ' ' && c != ':') condition += c;
    }
    if (condition.size() >= 2 && condition.front() == '(' && condition.back() == ')') {
      condition = condition.substr(1, condition.size() - 2);
    }
    for (const char* main : {"__name__==\"__main__\"", "__name__=='__main__'",
                             "\"__main__\"==__name__", "'__main__'==__name__"}) {
      if (condition == main) return BlockKind::kMain;
    }
    return BlockKind::kConditional;
  }
  if (word == "elif" || word == "else" || word == "for" || word == "while" || word == "except" ||
      word == "match" || word == "case") {
    return BlockKind::kConditional;
  }
  return std::nullopt;
}

struct Block {
  int indent = 0;
  std::string header;
  int line = 0;
  BlockKind kind = BlockKind::kTransparent;
};

// The index of the ')' that closes the first '(' of `code`, or npos. Strings and '#'
// comments are skipped; a string left open at the end of a line ends there (this is a
// comment, not code: be lenient).
size_t ClosingParen(const std::string& code) {
  int depth = 0;
  for (size_t i = 0; i < code.size(); ++i) {
    const char c = code[i];
    if (c == '#') {
      while (i < code.size() && code[i] != '\n') ++i;
    } else if (c == '"' || c == '\'') {
      const bool triple = code.compare(i, 3, std::string(3, c)) == 0;
      i += triple ? 3 : 1;
      while (i < code.size()) {
        if (code[i] == '\\') {
          i += 2;
          continue;
        }
        if (!triple && code[i] == '\n') break;
        if (triple ? code.compare(i, 3, std::string(3, c)) == 0 : code[i] == c) {
          if (triple) i += 2;
          break;
        }
        ++i;
      }
    } else if (c == '(' || c == '[' || c == '{') {
      ++depth;
    } else if (c == ')' || c == ']' || c == '}') {
      if (--depth == 0) return i;
    }
  }
  return std::string::npos;
}

// A comment line from just after its first '#', one space dropped, without a trailing CR.
std::string CommentText(const std::string& line) {
  size_t start = line.find('#');
  start = start == std::string::npos ? 0 : start + 1;
  if (start < line.size() && line[start] == ' ') ++start;
  std::string text = line.substr(start);
  if (!text.empty() && text.back() == '\r') text.pop_back();
  return text;
}

class OutlineScanner {
 public:
  OutlineScanner(const std::string& source, const std::vector<std::string>& functions)
      : src_(source), functions_(functions) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < src_.size(); ++i) {
      if (src_[i] == '\n') line_starts_.push_back(i + 1);
    }
  }

  Result<PythonModuleOutline> Run() {
    pos_ = src_.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
    bool at_line_start = true;
    while (pos_ < src_.size()) {
      if (at_line_start) {
        size_t p = pos_;
        const int indent = MeasureIndent(&p);
        if (p >= src_.size()) break;
        if (src_[p] == '\n' || src_[p] == '\r') {  // a blank line
          pos_ = LineEnd(p) + 1;
          continue;
        }
        if (src_[p] == '#') {  // a comment line: no statement, no indentation change
          pos_ = HandleCommentLine(p, indent, /*in_brackets=*/false) + 1;
          continue;
        }
        while (!blocks_.empty() && blocks_.back().indent >= indent) blocks_.pop_back();
        logical_ = LogicalLine{};
        previous_name_.clear();
        logical_.indent = indent;
        logical_.start = p;
        at_line_start = false;
        pos_ = p;
        continue;
      }
      const char c = src_[pos_];
      if (c == '#') {
        pos_ = LineEnd(pos_);
      } else if (c == '\n') {
        ++pos_;
        if (brackets_.empty()) {
          EndLogicalLine();
          at_line_start = true;
        } else {
          // Inside brackets a line may be a comment line too (a call commented out in the
          // middle of a list); it changes nothing else.
          size_t p = pos_;
          MeasureIndent(&p);
          if (p < src_.size() && src_[p] == '#') pos_ = HandleCommentLine(p, 0, true);
        }
      } else if (c == '\\' && pos_ + 1 < src_.size() &&
                 (src_[pos_ + 1] == '\n' ||
                  (src_[pos_ + 1] == '\r' && pos_ + 2 < src_.size() && src_[pos_ + 2] == '\n'))) {
        pos_ = LineEnd(pos_) + 1;  // a continuation line: the logical line goes on
      } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
        ++pos_;
      } else if (c == '"' || c == '\'') {
        if (!SkipString(pos_)) return Status::InvalidArgument(error_);
      } else if (c == '(' || c == '[' || c == '{') {
        Significant();
        brackets_.push_back(pos_++);
      } else if (c == ')' || c == ']' || c == '}') {
        if (!CloseBracket()) return Status::InvalidArgument(error_);
      } else if (IsNameByte(c)) {
        if (!HandleName()) return Status::InvalidArgument(error_);
      } else {
        if (c == ':' && brackets_.empty() && logical_.colon == std::string::npos) {
          logical_.colon = pos_;
        }
        Significant();
        ++pos_;
      }
    }
    if (!brackets_.empty()) {
      Fail(brackets_.back(), std::string("'") + src_[brackets_.back()] + "' is never closed");
      return Status::InvalidArgument(error_);
    }
    return std::move(outline_);
  }

 private:
  struct LogicalLine {
    int indent = 0;
    size_t start = 0;
    size_t colon = std::string::npos;  // the first ':' outside brackets
    size_t last_token = std::string::npos;
    bool has_token = false;
  };

  std::pair<int, int> LineCol(size_t at) const {
    const auto next = std::upper_bound(line_starts_.begin(), line_starts_.end(), at);
    const size_t index = static_cast<size_t>(next - line_starts_.begin()) - 1;
    return {static_cast<int>(index) + 1, static_cast<int>(at - line_starts_[index]) + 1};
  }

  bool Fail(size_t at, const std::string& what) {
    auto [line, column] = LineCol(at);
    error_ = std::to_string(line) + ":" + std::to_string(column) + ": " + what;
    return false;
  }

  size_t LineEnd(size_t from) const {
    const size_t eol = src_.find('\n', from);
    return eol == std::string::npos ? src_.size() : eol;
  }

  // Python's indentation: a tab goes to the next multiple of 8, a form feed starts over.
  int MeasureIndent(size_t* p) const {
    int indent = 0;
    for (; *p < src_.size(); ++*p) {
      const char c = src_[*p];
      if (c == ' ') {
        ++indent;
      } else if (c == '\t') {
        indent = (indent / 8 + 1) * 8;
      } else if (c == '\f') {
        indent = 0;
      } else {
        break;
      }
    }
    return indent;
  }

  void Significant() {
    logical_.has_token = true;
    logical_.last_token = pos_;
    previous_name_.clear();
  }

  bool SkipString(size_t open) {
    Significant();
    const char quote = src_[open];
    const bool triple = src_.compare(open, 3, std::string(3, quote)) == 0;
    size_t p = open + (triple ? 3 : 1);
    while (true) {
      if (p >= src_.size()) return Fail(open, "string is never closed");
      const char c = src_[p];
      if (c == '\\') {
        p += 2;
        continue;
      }
      if (!triple && c == '\n') return Fail(open, "string is not closed on its line");
      if (triple ? src_.compare(p, 3, std::string(3, quote)) == 0 : c == quote) {
        pos_ = p + (triple ? 3 : 1);
        logical_.last_token = pos_ - 1;
        return true;
      }
      ++p;
    }
  }

  bool CloseBracket() {
    const char c = src_[pos_];
    const char open = c == ')' ? '(' : c == ']' ? '[' : '{';
    if (brackets_.empty()) return Fail(pos_, std::string("'") + c + "' closes nothing");
    if (src_[brackets_.back()] != open) {
      auto [line, column] = LineCol(brackets_.back());
      return Fail(pos_, std::string("'") + c + "' does not close the '" + src_[brackets_.back()] +
                            "' at " + std::to_string(line) + ":" + std::to_string(column));
    }
    brackets_.pop_back();
    Significant();
    ++pos_;
    return true;
  }

  // The blocks around a statement at `indent` (a comment line's own indentation counts, as
  // nothing pops blocks for it), plus the header of its own line when it has a one-line body.
  std::vector<Block> Enclosing(std::optional<int> indent, size_t at) const {
    std::vector<Block> out;
    for (const auto& block : blocks_) {
      if (!indent || block.indent < *indent) out.push_back(block);
    }
    if (!indent && logical_.colon != std::string::npos && logical_.colon < at) {
      const std::string header =
          CollapseSpaces(src_.substr(logical_.start, logical_.colon + 1 - logical_.start));
      if (auto kind = ClassifyHeader(header)) {
        out.push_back(Block{logical_.indent, header, LineCol(logical_.start).first, *kind});
      }
    }
    return out;
  }

  static void SetContext(const std::vector<Block>& blocks, PythonCall* call) {
    const Block* conditional = nullptr;
    for (const auto& block : blocks) {
      if (block.kind == BlockKind::kFunction) {
        call->context = PythonCallContext::kFunction;
        // "def main(...)": its parameters would only make the messages long.
        call->block = block.header.substr(0, block.header.find('(')) +
                      (block.header.find('(') == std::string::npos ? "" : "(...)");
        if (!call->block.empty() && call->block.back() == ':') call->block.pop_back();
        call->block_line = block.line;
        return;
      }
      if (block.kind == BlockKind::kConditional) conditional = &block;
    }
    if (conditional) {
      call->context = PythonCallContext::kConditional;
      call->block = conditional->header.size() <= kMaxHeaderShown
                        ? conditional->header
                        : conditional->header.substr(0, kMaxHeaderShown - 4) + " ...:";
      call->block_line = conditional->line;
    }
  }

  bool HandleName() {
    const size_t start = pos_;
    while (pos_ < src_.size() && IsNameByte(src_[pos_])) ++pos_;
    const std::string word = src_.substr(start, pos_ - start);
    if (pos_ < src_.size() && (src_[pos_] == '"' || src_[pos_] == '\'') && IsStringPrefix(word)) {
      return SkipString(pos_);
    }
    const bool first_token = !logical_.has_token;
    const std::string before = previous_name_;
    const size_t previous_token = logical_.last_token;
    logical_.has_token = true;
    logical_.last_token = pos_ - 1;
    previous_name_ = word;
    if (IsDigit(word[0])) return true;  // a number such as 1e5
    size_t next = pos_;
    while (next < src_.size() && (src_[next] == ' ' || src_[next] == '\t')) ++next;
    const bool module_level = logical_.indent == 0 && brackets_.empty();
    if (first_token && module_level && next + 1 < src_.size() && src_[next] == '=' &&
        src_[next + 1] != '=') {
      auto [line, column] = LineCol(start);
      outline_.assignments.push_back(PythonAssignment{word, next + 1, line, column});
    }
    if (next >= src_.size() || src_[next] != '(' ||
        std::find(functions_.begin(), functions_.end(), word) == functions_.end()) {
      return true;
    }
    // `x.NAME(` calls an attribute, another function than the module's NAME.
    if (previous_token != std::string::npos && src_[previous_token] == '.') return true;
    auto [line, column] = LineCol(start);
    if (before == "def" || before == "class") {
      if (before == "def" && module_level) {
        outline_.defs.push_back(PythonDef{word, next, line, column});
      }
      return true;
    }
    PythonCall call;
    call.function = word;
    call.open_paren = next;
    call.line = line;
    call.column = column;
    SetContext(Enclosing(std::nullopt, start), &call);
    outline_.calls.push_back(std::move(call));
    return true;
  }

  void EndLogicalLine() {
    // A header whose ':' ends the line opens a block for the lines indented under it.
    if (logical_.colon == std::string::npos || logical_.last_token != logical_.colon) return;
    const std::string header =
        CollapseSpaces(src_.substr(logical_.start, logical_.colon + 1 - logical_.start));
    if (auto kind = ClassifyHeader(header)) {
      blocks_.push_back(Block{logical_.indent, header, LineCol(logical_.start).first, *kind});
    }
  }

  // A comment line starting at `hash` ('#'); returns the offset of the '\n' ending the last
  // line it took (or the end of the source).
  size_t HandleCommentLine(size_t hash, int indent, bool in_brackets) {
    const size_t eol = LineEnd(hash);
    for (const auto& block :
         Enclosing(in_brackets ? std::optional<int>() : std::optional<int>(indent), hash)) {
      if (block.kind == BlockKind::kFunction) return eol;
    }
    std::string text = src_.substr(hash, eol - hash);
    if (!text.empty() && text.back() == '\r') text.pop_back();
    size_t i = 0;
    while (i < text.size() && (text[i] == '#' || text[i] == ' ' || text[i] == '\t')) ++i;
    const std::string* function = nullptr;
    for (const auto& name : functions_) {
      if (text.compare(i, name.size(), name) != 0) continue;
      size_t j = i + name.size();
      if (j < text.size() && IsNameByte(text[j])) continue;
      while (j < text.size() && (text[j] == ' ' || text[j] == '\t')) ++j;
      if (j < text.size() && text[j] == '(') function = &name;
    }
    if (!function) return eol;

    PythonCommentedCall call;
    call.function = *function;
    call.first_line = LineCol(hash).first;
    call.lines.push_back(CommentText(text));
    std::string code = text.substr(i);
    size_t last_eol = eol;
    while (true) {
      const size_t close = ClosingParen(code);
      if (close != std::string::npos) {
        call.code = code.substr(0, close + 1);
        call.last_line = call.first_line + static_cast<int>(call.lines.size()) - 1;
        outline_.commented_calls.push_back(std::move(call));
        return last_eol;
      }
      if (static_cast<int>(call.lines.size()) >= kMaxCommentedCallLines) break;
      size_t next = last_eol + 1;
      if (next >= src_.size()) break;
      MeasureIndent(&next);
      if (next >= src_.size() || src_[next] != '#') break;
      const size_t next_eol = LineEnd(next);
      std::string line = src_.substr(next, next_eol - next);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      call.lines.push_back(CommentText(line));
      size_t k = 0;
      while (k < line.size() && line[k] == '#') ++k;
      code += "\n" + line.substr(k);
      last_eol = next_eol;
    }
    // Never closed within the comment: keep only its first line, as a remark.
    call.lines.resize(1);
    call.last_line = call.first_line;
    outline_.commented_calls.push_back(std::move(call));
    return eol;
  }

  const std::string& src_;
  const std::vector<std::string>& functions_;
  std::vector<size_t> line_starts_;
  size_t pos_ = 0;
  std::vector<size_t> brackets_;  // offsets of the open brackets
  std::vector<Block> blocks_;     // the blocks the current logical line is in
  LogicalLine logical_;
  std::string previous_name_;  // the name just before the current token, if it was one
  std::string error_;
  PythonModuleOutline outline_;
};

}  // namespace

Result<PythonModuleOutline> OutlinePythonModule(const std::string& source,
                                                const std::vector<std::string>& functions) {
  return OutlineScanner(source, functions).Run();
}

}  // namespace jlrec
