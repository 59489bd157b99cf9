// The POSIX sh quoting context at a point of a startup-script template, so that a {{NAME}}
// placeholder can be rendered as a reference that gives the value byte for byte there, or
// refused where no reference can (docs/manifest.md, "Startup-script templates").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/status.h"

namespace jlrec {

/// Where a placeholder stands, as sh reads the text around it.
enum class ShellContext {
  kUnquoted,      ///< a word (or part of one) outside quotes
  kDoubleQuoted,  ///< inside "..."
  kSingleQuoted,  ///< inside '...'
  kComment,       ///< after a # that starts a comment
  kHeredoc,       ///< in the body of a here-document whose delimiter is not quoted
};

/// The text for the exported variable `name` at a point in `context`, such that sh gives its
/// value exactly (not split, not globbed, never run): "${NAME}" unquoted, ${NAME} inside
/// double quotes and here-documents, '"${NAME}"' inside single quotes (close, quoted
/// reference, reopen), "${NAME}" in a comment (inert).
std::string ShellReference(const std::string& name, ShellContext context);

/// Reads template text as sh would (quotes, escapes, comments, $(...), ${...}, backticks,
/// here-documents) to tell the context of each placeholder between the pieces fed to it.
/// Placeholders are zero-width for the reader, apart from continuing the word they are in.
class ShellContextScanner {
 public:
  ShellContextScanner();
  /// Reads the next piece of literal template text.
  void Feed(std::string_view text);
  /// The context of a placeholder at this point; kInvalidArgument saying why when no
  /// reference can give the value exactly here (inside $(...), ${...}, $((...)), backticks,
  /// $'...' or a quoted here-document, in a here-document delimiter, after a backslash or a $).
  Result<ShellContext> Here() const;
  /// Records a placeholder at this point (the word it is in goes on).
  void Placeholder();
  /// The reading state (frames, escapes, pending here-documents), to compare two points: a
  /// section that leaves it changed would change how the text after it is read depending on
  /// whether it renders. Whether a word has started is left out (it only decides whether a
  /// # starts a comment, and a comment and a word get the same reference).
  std::string State() const;

 private:
  enum class Frame : char {
    kTop = 't',
    kDouble = 'd',
    kSingle = 's',
    kDollarSingle = 'S',
    kComment = 'c',
    kCommand = 'C',    // $( ... )
    kParameter = 'p',  // ${ ... }
    kBacktick = 'b',
    kHeredoc = 'h',       // body of an unquoted here-document
    kHeredocQuoted = 'H'  // body of a quoted one
  };
  struct Heredoc {
    std::string delimiter;
    bool quoted = false;
    bool strip_tabs = false;
  };
  void Step(char c);
  void EndLine();
  bool OnlyTopBelow() const;

  std::vector<Frame> frames_;
  std::vector<int> parens_;  // per kCommand frame: '(' opened inside it
  bool escaped_ = false;     // the previous byte was an unquoted/double-quoted backslash
  bool after_dollar_ = false;
  bool word_start_ = true;
  char prev_ = '\n';
  // Here-documents: the delimiter being read after <<, those waiting for the end of the
  // line, and the line of the body read so far.
  bool reading_delimiter_ = false;
  bool delimiter_started_ = false;
  char quote_in_delimiter_ = '\0';
  Heredoc delimiter_;
  std::vector<Heredoc> pending_;
  std::string body_line_;
  bool body_line_has_placeholder_ = false;
  bool body_line_nested_ = false;  // the line opened $(, ${ or a backtick: not followed
};

}  // namespace jlrec
