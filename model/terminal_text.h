// Text from a host or a state file, made safe to print on a terminal. A Docker error body, a
// label, a container's command or a journal entry can hold escape sequences that clear the
// operator's screen, set the window title or rewrite an earlier line; printed through this,
// they show as visible escapes instead.
#pragma once

#include <string>
#include <string_view>

namespace jlrec {

/// `text` with everything a terminal would act on rather than show written as a visible
/// escape, for one line of output:
///   - C0 controls and DEL: `\n`, `\r`, `\t`, else `\xHH` (`\x1b`, `\x07`, `\x7f`); a newline
///     too, since a field never spans lines (a forged line could read as jlrec's own);
///   - C1 controls U+0080..U+009F encoded in UTF-8: `\u009b`;
///   - bytes that are not valid UTF-8 (a raw 0x9b, an overlong form, a surrogate, a
///     truncated sequence): `\xHH` each;
///   - Unicode bidi embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069),
///     which reorder what follows them on the line: `\u202e`.
/// Valid UTF-8 text, other non-ASCII characters included, is kept byte for byte. A
/// backslash is kept as it is: the aim is a safe screen, not a reversible encoding.
std::string Printable(std::string_view text);

}  // namespace jlrec
