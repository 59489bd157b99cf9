// Quoting for POSIX sh: how manifest values reach /run.sh without ever being interpreted.
#pragma once

#include <string>
#include <string_view>

namespace jlrec {

/// `value` as one single-quoted POSIX sh word: 'it'\''s' for it's. Every byte but the
/// single quote is literal inside '...', so $(), backticks, newlines and non-ASCII survive.
std::string ShellQuote(std::string_view value);

/// `value` unchanged when it is non-empty and made only of characters sh never treats
/// specially (A-Z a-z 0-9 _ @ % + = : , . / -), else ShellQuote(value).
std::string ShellWord(std::string_view value);

/// True when ShellWord(value) would leave `value` unquoted.
bool IsPlainShellWord(std::string_view value);

}  // namespace jlrec
