// Printable: what a host or the state file says, made safe for the operator's terminal.
#include <catch2/catch.hpp>

#include <string>

#include "model/terminal_text.h"

namespace jlrec {
namespace {

// True when `text` holds nothing Printable would escape: no C0 or DEL byte, and (since
// Printable leaves it unchanged) valid UTF-8 without C1 controls or bidi controls.
bool IsSafe(const std::string& text) {
  for (unsigned char c : text)
    if (c < 0x20 || c == 0x7F) return false;
  return Printable(text) == text;
}

TEST_CASE("Printable keeps printable ASCII and valid UTF-8 text byte for byte",
          "[model][terminal]") {
  for (const std::string text :
       {"", "jl_core_1", "image 127.0.0.1:5000/jlrec-lab/base:1 not found: manifest unknown",
        "C:\\path with \\x1b written by a person", "上海 Shanghai", "café naïve",
        "emoji \xF0\x9F\x98\x80 and U+00A0 \xC2\xA0 and U+FFFD \xEF\xBF\xBD",
        "left-to-right mark \xE2\x80\x8E is not an override"}) {
    CAPTURE(text);
    CHECK(Printable(text) == text);
  }
}

TEST_CASE("Printable writes C0 controls and DEL as visible escapes", "[model][terminal]") {
  CHECK(Printable("a\x1b[2Jb") == "a\\x1b[2Jb");                 // clear screen
  CHECK(Printable("\x1b]0;pwned\x07") == "\\x1b]0;pwned\\x07");  // window title, BEL
  CHECK(Printable("ok\rjlrec drift: in sync") == "ok\\rjlrec drift: in sync");
  CHECK(Printable("line 1\nline 2") == "line 1\\nline 2");
  CHECK(Printable("a\tb") == "a\\tb");
  CHECK(Printable(std::string("nul\0byte", 8)) == "nul\\x00byte");
  CHECK(Printable("\x01\x08\x1f\x7f") == "\\x01\\x08\\x1f\\x7f");
}

TEST_CASE("Printable writes C1 controls encoded in UTF-8 as \\u escapes", "[model][terminal]") {
  CHECK(Printable("\xC2\x9B"
                  "2J") == "\\u009b2J");  // CSI
  CHECK(Printable("\xC2\x80\xC2\x9D\xC2\x9F") == "\\u0080\\u009d\\u009f");
  CHECK(Printable("\xC2\xA0") == "\xC2\xA0");  // U+00A0, the first after them, is kept
}

TEST_CASE("Printable writes each byte that is not valid UTF-8 as \\xHH", "[model][terminal]") {
  CHECK(Printable("raw CSI \x9B"
                  "2J") == "raw CSI \\x9b2J");
  CHECK(Printable("\x80\xBF") == "\\x80\\xbf");                    // lone continuation bytes
  CHECK(Printable("\xC0\xAF") == "\\xc0\\xaf");                    // overlong '/'
  CHECK(Printable("\xE0\x80\xAF") == "\\xe0\\x80\\xaf");           // overlong, 3 bytes
  CHECK(Printable("\xED\xA0\x80") == "\\xed\\xa0\\x80");           // surrogate U+D800
  CHECK(Printable("\xF4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");  // past U+10FFFF
  CHECK(Printable("\xF8\x88\x80\x80\x80") == "\\xf8\\x88\\x80\\x80\\x80");
  CHECK(Printable("\xFF\xFE") == "\\xff\\xfe");
  // A truncated sequence: its bytes escaped, the text after it kept.
  CHECK(Printable("\xE4\xB8 ok") == "\\xe4\\xb8 ok");
  CHECK(Printable("end \xE4\xB8") == "end \\xe4\\xb8");
  CHECK(Printable("\xF0\x9F\x98") == "\\xf0\\x9f\\x98");
  // An escape right after a broken sequence is still caught.
  CHECK(Printable("\xC3\x1b[2J") == "\\xc3\\x1b[2J");
}

TEST_CASE("Printable writes bidi embeddings, overrides and isolates as \\u escapes",
          "[model][terminal]") {
  CHECK(Printable("abc\xE2\x80\xAE"
                  "fed") == "abc\\u202efed");  // RLO
  CHECK(Printable("\xE2\x80\xAA\xE2\x80\xAB\xE2\x80\xAC\xE2\x80\xAD") ==
        "\\u202a\\u202b\\u202c\\u202d");
  CHECK(Printable("\xE2\x81\xA6\xE2\x81\xA7\xE2\x81\xA8\xE2\x81\xA9") ==
        "\\u2066\\u2067\\u2068\\u2069");
  CHECK(Printable("\xE2\x80\xA9\xE2\x81\xAA") == "\xE2\x80\xA9\xE2\x81\xAA");  // neighbours kept
}

TEST_CASE("Printable leaves nothing to escape in what it returns, for every byte and pair of bytes",
          "[model][terminal]") {
  for (int a = 0; a < 256; ++a) {
    std::string one(1, static_cast<char>(a));
    CHECK(IsSafe(Printable(one)));
    for (int b = 0; b < 256; ++b) {
      std::string two = one + static_cast<char>(b);
      if (!IsSafe(Printable(two))) FAIL("bytes " << a << " " << b);
    }
  }
}

}  // namespace
}  // namespace jlrec
