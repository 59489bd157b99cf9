// When jlrec colours its output: one rule for every writer of colour (the plan printer,
// `jlrec ps`, the log on stderr), so that they never disagree about a terminal.
#pragma once

namespace jlrec::cli {

/// The rule itself, on its inputs: colour only when `is_terminal`, not with `no_color_flag`
/// (--no-color), not when `no_color_env` (NO_COLOR, per no-color.org) is set and non-empty,
/// and not when `term` (TERM) is "dumb". A null `term` or `no_color_env` is an unset variable.
bool ColorAllowed(bool is_terminal, bool no_color_flag, const char* term, const char* no_color_env);

/// ColorAllowed for what this process writes to `fd`: whether it is a terminal, and the
/// environment's TERM and NO_COLOR.
bool WantColor(int fd, bool no_color_flag = false);

}  // namespace jlrec::cli
