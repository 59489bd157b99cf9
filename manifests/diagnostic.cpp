#include "manifests/diagnostic.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

namespace jlrec {

std::string Diagnostic::ToString() const {
  std::string out = file;
  if (line > 0) {
    out += ':' + std::to_string(line);
    if (column > 0) out += ':' + std::to_string(column);
  }
  out += severity == Severity::kError ? ": error: " : ": warning: ";
  out += message;
  return out;
}

void DiagnosticSink::Error(const SourceLocation& where, std::string message) {
  Add(Diagnostic::Severity::kError, where, std::move(message));
}

void DiagnosticSink::Warning(const SourceLocation& where, std::string message) {
  Add(Diagnostic::Severity::kWarning, where, std::move(message));
}

void DiagnosticSink::Add(Diagnostic::Severity severity, const SourceLocation& where,
                         std::string message) {
  if (severity == Diagnostic::Severity::kError) ++error_count_;
  diagnostics_.push_back(
      Diagnostic{severity, where.file, where.line, where.column, std::move(message)});
}

std::vector<Diagnostic> DiagnosticSink::Take() {
  // Files keep the order in which they were first mentioned (the manifest before the
  // templates it names), which reads better than alphabetical order.
  std::map<std::string, size_t> file_rank;
  for (const auto& d : diagnostics_) file_rank.emplace(d.file, file_rank.size());
  auto key = [&](const Diagnostic& d) {
    return std::make_tuple(file_rank[d.file], d.line, d.column, d.severity, d.message);
  };
  std::stable_sort(diagnostics_.begin(), diagnostics_.end(),
                   [&](const Diagnostic& a, const Diagnostic& b) { return key(a) < key(b); });
  std::vector<Diagnostic> out;
  for (auto& d : diagnostics_) {
    if (!out.empty() && key(out.back()) == key(d)) continue;
    out.push_back(std::move(d));
  }
  diagnostics_.clear();
  error_count_ = 0;
  return out;
}

std::string Quoted(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

}  // namespace jlrec
