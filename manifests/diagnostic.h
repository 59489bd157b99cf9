// Validation messages with their source position, collected rather than thrown so that a
// manifest with several mistakes is reported in one go.
#pragma once

#include <string>
#include <vector>

namespace jlrec {

/// A position in a manifest or template file (1-based; line 0 = the file as a whole).
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
};

/// One validation message, printed as FILE:LINE:COL: error|warning: message (line/col 1-based).
struct Diagnostic {
  /// Errors make the manifest unusable; warnings are printed but do not block.
  enum class Severity { kError, kWarning } severity = Severity::kError;
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;
  /// "FILE:LINE:COL: error: message" ("FILE: error: message" when line is 0).
  std::string ToString() const;
};

/// Collects diagnostics while a manifest is read; hands them out sorted by position.
class DiagnosticSink {
 public:
  /// Records an error at `where`.
  void Error(const SourceLocation& where, std::string message);
  /// Records a warning at `where`.
  void Warning(const SourceLocation& where, std::string message);
  /// True once any error was recorded.
  bool has_errors() const { return error_count_ > 0; }
  /// Number of errors recorded so far (duplicates included).
  int error_count() const { return error_count_; }
  /// The diagnostics, duplicates removed, sorted by file (first-seen order), line, column;
  /// leaves the sink empty.
  std::vector<Diagnostic> Take();

 private:
  void Add(Diagnostic::Severity severity, const SourceLocation& where, std::string message);
  std::vector<Diagnostic> diagnostics_;
  int error_count_ = 0;
};

/// `"text"`: a value quoted for a message (escapes control characters, never secrets).
std::string Quoted(const std::string& text);

}  // namespace jlrec
