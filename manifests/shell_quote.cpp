#include "manifests/shell_quote.h"

namespace jlrec {

std::string ShellQuote(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 2);
  out += '\'';
  for (char c : value) {
    if (c == '\'') {
      out += "'\\''";  // close the quote, an escaped quote, reopen
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

bool IsPlainShellWord(std::string_view value) {
  if (value.empty()) return false;
  for (char c : value) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '_' || c == '@' || c == '%' || c == '+' || c == '=' || c == ':' ||
                       c == ',' || c == '.' || c == '/' || c == '-';
    if (!plain) return false;
  }
  return true;
}

std::string ShellWord(std::string_view value) {
  return IsPlainShellWord(value) ? std::string(value) : ShellQuote(value);
}

}  // namespace jlrec
