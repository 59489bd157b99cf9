#include "cli/color_policy.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace jlrec::cli {

bool ColorAllowed(bool is_terminal, bool no_color_flag, const char* term,
                  const char* no_color_env) {
  if (!is_terminal || no_color_flag) return false;
  // no-color.org: "when present and not an empty string"; an empty NO_COLOR= is unset.
  if (no_color_env != nullptr && *no_color_env != '\0') return false;
  // A dumb terminal (an Emacs shell, a serial console) shows escapes as text.
  return term == nullptr || std::strcmp(term, "dumb") != 0;
}

bool WantColor(int fd, bool no_color_flag) {
  return ColorAllowed(isatty(fd) == 1, no_color_flag, std::getenv("TERM"), std::getenv("NO_COLOR"));
}

}  // namespace jlrec::cli
