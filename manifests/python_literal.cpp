#include "manifests/python_literal.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <string>
#include <utility>

namespace jlrec {

const char* PyValue::KindName() const {
  switch (kind) {
    case Kind::kNone:
      return "None";
    case Kind::kBool:
      return "a boolean";
    case Kind::kInt:
      return "an integer";
    case Kind::kString:
      return "a string";
    case Kind::kList:
      return "a list";
    case Kind::kDict:
      return "a dict";
  }
  return "a value";
}

namespace {

// Literals nest only a few levels in practice; the limit keeps hostile input from
// exhausting the stack.
constexpr int kMaxDepth = 64;

// `code` (at most U+10FFFF, not a surrogate) as UTF-8.
void AppendUtf8(unsigned code, std::string* out) {
  if (code < 0x80) {
    *out += static_cast<char>(code);
  } else if (code < 0x800) {
    *out += static_cast<char>(0xc0 | (code >> 6));
    *out += static_cast<char>(0x80 | (code & 0x3f));
  } else if (code < 0x10000) {
    *out += static_cast<char>(0xe0 | (code >> 12));
    *out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    *out += static_cast<char>(0x80 | (code & 0x3f));
  } else {
    *out += static_cast<char>(0xf0 | (code >> 18));
    *out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
    *out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    *out += static_cast<char>(0x80 | (code & 0x3f));
  }
}

class LiteralParser {
 public:
  LiteralParser(const std::string& source, size_t offset, const LineIndex* lines)
      : src_(source), pos_(offset), lines_(lines) {}

  Result<PyValue> Parse() {
    PyValue value;
    if (!ParseValue(&value, 0)) return Status::InvalidArgument(error_);
    return value;
  }
  size_t position() const { return pos_; }

 private:
  // Every value records its position: the line starts are found once, so a long
  // container_list costs one pass, not one pass per value.
  // The caller's index of the whole source, else one built here on first use.
  std::pair<int, int> LineCol(size_t at) {
    if (!lines_) lines_ = &own_lines_.emplace(src_);
    return lines_->LineColumn(at);
  }

  bool Fail(size_t at, const std::string& what) {
    auto [line, col] = LineCol(at);
    error_ = std::to_string(line) + ":" + std::to_string(col) + ": " + what;
    return false;
  }

  void SkipBlanks() {
    while (pos_ < src_.size()) {
      const char c = src_[pos_];
      if (c == '#') {
        while (pos_ < src_.size() && src_[pos_] != '\n') ++pos_;
      } else if (c == '\\' && pos_ + 1 < src_.size() && src_[pos_ + 1] == '\n') {
        pos_ += 2;
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        ++pos_;
      } else {
        return;
      }
    }
  }

  bool ParseValue(PyValue* out, int depth) {
    if (depth > kMaxDepth) return Fail(pos_, "literal nested too deeply");
    SkipBlanks();
    if (pos_ >= src_.size()) return Fail(pos_, "unexpected end of file");
    auto [line, col] = LineCol(pos_);
    out->line = line;
    out->column = col;
    const char c = src_[pos_];
    if (c == '[') return ParseSequence(out, ']', depth);
    if (c == '(') return ParseSequence(out, ')', depth);
    if (c == '{') return ParseDict(out, depth);
    if (c == '"' || c == '\'' ||
        ((c == 'r' || c == 'R' || c == 'u' || c == 'U') && pos_ + 1 < src_.size() &&
         (src_[pos_ + 1] == '"' || src_[pos_ + 1] == '\''))) {
      out->kind = PyValue::Kind::kString;
      // Adjacent string literals concatenate, as in Python.
      do {
        if (!ParseString(&out->string)) return false;
        SkipBlanks();
      } while (pos_ < src_.size() && (src_[pos_] == '"' || src_[pos_] == '\''));
      return true;
    }
    if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) return ParseInt(out);
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      const size_t start = pos_;
      while (pos_ < src_.size() &&
             (std::isalnum(static_cast<unsigned char>(src_[pos_])) || src_[pos_] == '_')) {
        ++pos_;
      }
      const std::string word = src_.substr(start, pos_ - start);
      if (word == "True" || word == "False") {
        out->kind = PyValue::Kind::kBool;
        out->boolean = word == "True";
        return true;
      }
      if (word == "None") {
        out->kind = PyValue::Kind::kNone;
        return true;
      }
      if (word == "true" || word == "false") {
        return Fail(start, "\"" + word + "\" is not Python: write True or False");
      }
      return Fail(start, "\"" + word +
                             "\" is not a literal (only strings, numbers, lists, "
                             "dicts, True, False and None are read)");
    }
    if (c == '.' && src_.compare(pos_, 3, "...") == 0) {
      return Fail(pos_, "\"...\" (an elided part?) is not a literal: complete the list");
    }
    return Fail(pos_, std::string("unexpected character '") + c + "'");
  }

  bool ParseSequence(PyValue* out, char close, int depth) {
    out->kind = PyValue::Kind::kList;
    const size_t open = pos_++;
    while (true) {
      SkipBlanks();
      if (pos_ >= src_.size()) {
        return Fail(open, std::string("'") + src_[open] + "' is never closed");
      }
      if (src_[pos_] == close) {
        ++pos_;
        return true;
      }
      PyValue item;
      if (!ParseValue(&item, depth + 1)) return false;
      out->items.push_back(std::move(item));
      SkipBlanks();
      if (pos_ < src_.size() && src_[pos_] == ',') {
        ++pos_;
      } else if (pos_ < src_.size() && src_[pos_] != close) {
        return Fail(pos_, std::string("expected ',' or '") + close + "'");
      }
    }
  }

  bool ParseDict(PyValue* out, int depth) {
    out->kind = PyValue::Kind::kDict;
    const size_t open = pos_++;
    while (true) {
      SkipBlanks();
      if (pos_ >= src_.size()) return Fail(open, "'{' is never closed");
      if (src_[pos_] == '}') {
        ++pos_;
        return true;
      }
      PyValue key, value;
      if (!ParseValue(&key, depth + 1)) return false;
      SkipBlanks();
      if (pos_ >= src_.size() || src_[pos_] != ':') return Fail(pos_, "expected ':' after key");
      ++pos_;
      if (!ParseValue(&value, depth + 1)) return false;
      out->entries.push_back({std::move(key), std::move(value)});
      SkipBlanks();
      if (pos_ < src_.size() && src_[pos_] == ',') {
        ++pos_;
      } else if (pos_ < src_.size() && src_[pos_] != '}') {
        return Fail(pos_, "expected ',' or '}'");
      }
    }
  }

  bool ParseInt(PyValue* out) {
    const size_t start = pos_;
    if (src_[pos_] == '-') ++pos_;
    while (pos_ < src_.size() &&
           (std::isdigit(static_cast<unsigned char>(src_[pos_])) || src_[pos_] == '_')) {
      ++pos_;
    }
    std::string digits;
    for (size_t i = start; i < pos_; ++i) {
      if (src_[i] != '_') digits += src_[i];
    }
    if (pos_ < src_.size() &&
        (src_[pos_] == '.' || std::isalpha(static_cast<unsigned char>(src_[pos_])))) {
      return Fail(start, "only integer numbers are read");
    }
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out->integer);
    if (ec != std::errc() || end != digits.data() + digits.size()) {
      return Fail(start, "invalid integer");
    }
    out->kind = PyValue::Kind::kInt;
    return true;
  }

  bool ParseString(std::string* out) {
    bool raw = false;
    while (src_[pos_] != '"' && src_[pos_] != '\'') {
      raw = raw || src_[pos_] == 'r' || src_[pos_] == 'R';
      ++pos_;
    }
    const size_t open = pos_;
    const char quote = src_[pos_];
    const bool triple = src_.compare(pos_, 3, std::string(3, quote)) == 0;
    pos_ += triple ? 3 : 1;
    while (true) {
      if (pos_ >= src_.size()) return Fail(open, "string is never closed");
      const char c = src_[pos_];
      if (triple ? src_.compare(pos_, 3, std::string(3, quote)) == 0 : c == quote) {
        pos_ += triple ? 3 : 1;
        return true;
      }
      if (c == '\n' && !triple) return Fail(open, "string is not closed on its line");
      if (c == '\\' && pos_ + 1 < src_.size()) {
        const char e = src_[pos_ + 1];
        if (raw) {
          *out += c;
          *out += e;
          pos_ += 2;
          continue;
        }
        pos_ += 2;
        switch (e) {
          case 'n':
            *out += '\n';
            break;
          case 't':
            *out += '\t';
            break;
          case 'r':
            *out += '\r';
            break;
          case 'a':
            *out += '\a';
            break;
          case 'b':
            *out += '\b';
            break;
          case 'f':
            *out += '\f';
            break;
          case 'v':
            *out += '\v';
            break;
          case '\\':
            *out += '\\';
            break;
          case '\'':
            *out += '\'';
            break;
          case '"':
            *out += '"';
            break;
          case '\n':
            break;  // line continuation inside the string
          case '0':
          case '1':
          case '2':
          case '3':
          case '4':
          case '5':
          case '6':
          case '7': {  // \ooo: up to three octal digits, a code point up to U+01FF
            unsigned value = static_cast<unsigned>(e - '0');
            for (int k = 0; k < 2 && pos_ < src_.size() && src_[pos_] >= '0' && src_[pos_] <= '7';
                 ++k, ++pos_) {
              value = value * 8 + static_cast<unsigned>(src_[pos_] - '0');
            }
            AppendUtf8(value, out);
            break;
          }
          case 'x':  // \xhh, \uXXXX, \UXXXXXXXX: a code point, written as UTF-8
          case 'u':
          case 'U': {
            const size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
            unsigned value = 0;
            if (pos_ + digits > src_.size() ||
                std::from_chars(src_.data() + pos_, src_.data() + pos_ + digits, value, 16).ptr !=
                    src_.data() + pos_ + digits) {
              return Fail(pos_ - 2, std::string("invalid \\") + e + " escape: " +
                                        std::to_string(digits) + " hex digits expected");
            }
            if (value > 0x10ffff) return Fail(pos_ - 2, "escape beyond U+10FFFF");
            if (value >= 0xd800 && value <= 0xdfff) {
              return Fail(pos_ - 2, "escape of a lone surrogate, which UTF-8 cannot hold");
            }
            AppendUtf8(value, out);
            pos_ += digits;
            break;
          }
          case 'N':  // needs the Unicode name table
            return Fail(pos_ - 2, "\\N{...} escapes are not read: write the character itself");
          default:  // Python keeps unknown escapes as written
            *out += '\\';
            *out += e;
        }
        continue;
      }
      *out += c;
      ++pos_;
    }
  }

  const std::string& src_;
  size_t pos_;
  std::string error_;
  const LineIndex* lines_;
  std::optional<LineIndex> own_lines_;
};

}  // namespace

Result<PyValue> ParsePythonLiteral(const std::string& source, size_t* offset,
                                   const LineIndex* lines) {
  LiteralParser parser(source, *offset, lines);
  Result<PyValue> result = parser.Parse();
  if (result.ok()) *offset = parser.position();
  return result;
}

}  // namespace jlrec
