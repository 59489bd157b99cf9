#include "manifests/shell_context.h"

namespace jlrec {

std::string ShellReference(const std::string& name, ShellContext context) {
  switch (context) {
    case ShellContext::kDoubleQuoted:
    case ShellContext::kHeredoc:
      return "${" + name + "}";
    case ShellContext::kSingleQuoted:
      return "'\"${" + name + "}\"'";
    case ShellContext::kUnquoted:
    case ShellContext::kComment:
      break;
  }
  return "\"${" + name + "}\"";
}

namespace {

bool EndsWord(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == ';' || c == '&' || c == '|' || c == '(' ||
         c == ')' || c == '<' || c == '>';
}

}  // namespace

ShellContextScanner::ShellContextScanner() : frames_{Frame::kTop} {}

void ShellContextScanner::Feed(std::string_view text) {
  for (char c : text) Step(c);
}

bool ShellContextScanner::OnlyTopBelow() const {
  return frames_.size() == 2 && frames_.front() == Frame::kTop;
}

Result<ShellContext> ShellContextScanner::Here() const {
  if (reading_delimiter_) return Status::InvalidArgument("it is in a here-document delimiter");
  if (escaped_) return Status::InvalidArgument("it follows a backslash");
  if (after_dollar_) return Status::InvalidArgument("it follows a $");
  switch (frames_.back()) {
    case Frame::kTop:
      return ShellContext::kUnquoted;
    case Frame::kComment:
      return ShellContext::kComment;
    case Frame::kDouble:
      if (OnlyTopBelow()) return ShellContext::kDoubleQuoted;
      break;
    case Frame::kSingle:
      if (OnlyTopBelow()) return ShellContext::kSingleQuoted;
      break;
    case Frame::kHeredoc:
      if (!body_line_nested_) return ShellContext::kHeredoc;
      break;
    case Frame::kHeredocQuoted:
      return Status::InvalidArgument(
          "it is in a here-document with a quoted delimiter, where nothing is expanded");
    default:
      break;
  }
  return Status::InvalidArgument("it is inside $(...), ${...}, $((...)), backticks or $'...'");
}

void ShellContextScanner::Placeholder() {
  word_start_ = false;
  prev_ = 'x';
  if (frames_.back() == Frame::kHeredoc || frames_.back() == Frame::kHeredocQuoted) {
    body_line_has_placeholder_ = true;
  }
}

std::string ShellContextScanner::State() const {
  std::string state;
  for (Frame f : frames_) state += static_cast<char>(f);
  state += escaped_ ? 'e' : '-';
  state += after_dollar_ ? '$' : '-';
  state += reading_delimiter_ ? 'r' : '-';
  for (int p : parens_) state += "(" + std::to_string(p);
  for (const auto& h : pending_) state += "<" + h.delimiter;
  return state;
}

void ShellContextScanner::EndLine() {
  const Heredoc& doc = pending_.front();
  size_t start = 0;
  if (doc.strip_tabs) {
    while (start < body_line_.size() && body_line_[start] == '\t') ++start;
  }
  const bool end = !body_line_has_placeholder_ &&
                   body_line_.compare(start, std::string::npos, doc.delimiter) == 0;
  body_line_.clear();
  body_line_has_placeholder_ = false;
  body_line_nested_ = false;
  if (!end) return;
  frames_.pop_back();
  pending_.erase(pending_.begin());
  if (!pending_.empty()) {
    frames_.push_back(pending_.front().quoted ? Frame::kHeredocQuoted : Frame::kHeredoc);
  }
}

void ShellContextScanner::Step(char c) {
  const char prev = prev_;
  prev_ = c;
  const bool was_escaped = escaped_;
  const bool was_dollar = after_dollar_;
  escaped_ = false;
  after_dollar_ = false;
  const Frame top = frames_.back();

  if (top == Frame::kHeredoc || top == Frame::kHeredocQuoted) {
    if (c == '\n') return EndLine();
    body_line_ += c;
    if (top == Frame::kHeredoc && !was_escaped) {
      escaped_ = c == '\\';
      after_dollar_ = c == '$';
      if ((was_dollar && (c == '(' || c == '{')) || c == '`') body_line_nested_ = true;
    }
    return;
  }

  if (reading_delimiter_) {
    if (!delimiter_started_ && delimiter_.delimiter.empty() && !delimiter_.quoted) {
      if (c == '<' && prev == '<' && !was_escaped) {  // <<<: a here-string, not a document
        reading_delimiter_ = false;
        return;
      }
      if (c == '-' && !delimiter_.strip_tabs && prev == '<') {
        delimiter_.strip_tabs = true;
        return;
      }
      if (c == ' ' || c == '\t') return;
      delimiter_started_ = true;
    }
    if (was_escaped) {
      delimiter_.delimiter += c;
      return;
    }
    if (quote_in_delimiter_ != '\0') {
      if (c == quote_in_delimiter_) {
        quote_in_delimiter_ = '\0';
      } else {
        delimiter_.delimiter += c;
      }
      return;
    }
    if (c == '\\' || c == '\'' || c == '"') {
      delimiter_.quoted = true;
      if (c == '\\') {
        escaped_ = true;
      } else {
        quote_in_delimiter_ = c;
      }
      return;
    }
    if (!EndsWord(c)) {
      delimiter_.delimiter += c;
      return;
    }
    reading_delimiter_ = false;
    pending_.push_back(delimiter_);
    // The byte that ended the word is read as usual.
  }

  switch (top) {
    case Frame::kSingle:
      if (c == '\'') frames_.pop_back();
      return;
    case Frame::kDollarSingle:
    case Frame::kBacktick:
      if (was_escaped) return;
      if (c == '\\') {
        escaped_ = true;
      } else if (c == (top == Frame::kBacktick ? '`' : '\'')) {
        frames_.pop_back();
      }
      return;
    case Frame::kComment:
      if (c == '\n') {
        frames_.pop_back();
        prev_ = prev;
        Step(c);  // the line break also ends the command line
      }
      return;
    case Frame::kDouble:
      if (was_escaped) return;
      if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        frames_.pop_back();
      } else if (c == '$') {
        after_dollar_ = true;
      } else if (was_dollar && c == '(') {
        frames_.push_back(Frame::kCommand);
        parens_.push_back(0);
      } else if (was_dollar && c == '{') {
        frames_.push_back(Frame::kParameter);
      } else if (c == '`') {
        frames_.push_back(Frame::kBacktick);
      }
      return;
    default:
      break;
  }

  // kTop, kCommand, kParameter: unquoted text.
  const bool starts_word = word_start_;
  word_start_ = EndsWord(c) && !was_escaped;
  if (was_escaped) return;
  if (c == '\\') {
    escaped_ = true;
  } else if (c == '\'') {
    frames_.push_back(was_dollar ? Frame::kDollarSingle : Frame::kSingle);
  } else if (c == '"') {
    frames_.push_back(Frame::kDouble);
  } else if (c == '`') {
    frames_.push_back(Frame::kBacktick);
  } else if (c == '$') {
    after_dollar_ = true;
  } else if (c == '(' && was_dollar) {
    frames_.push_back(Frame::kCommand);
    parens_.push_back(0);
  } else if (c == '{' && was_dollar) {
    frames_.push_back(Frame::kParameter);
  } else if (c == '(' && top == Frame::kCommand) {
    ++parens_.back();
  } else if (c == ')' && top == Frame::kCommand) {
    if (parens_.back() > 0) {
      --parens_.back();
    } else {
      frames_.pop_back();
      parens_.pop_back();
    }
  } else if (c == '}' && top == Frame::kParameter) {
    frames_.pop_back();
  } else if (c == '#' && starts_word && top != Frame::kParameter) {
    frames_.push_back(Frame::kComment);
  } else if (c == '<' && prev == '<' && top != Frame::kParameter) {
    reading_delimiter_ = true;
    delimiter_started_ = false;
    quote_in_delimiter_ = '\0';
    delimiter_ = Heredoc{};
  } else if (c == '\n' && top == Frame::kTop && !pending_.empty()) {
    frames_.push_back(pending_.front().quoted ? Frame::kHeredocQuoted : Frame::kHeredoc);
  }
}

}  // namespace jlrec
