// RFC 3339 times as Docker writes them, and the mtime inside a stat key.
#include <catch2/catch.hpp>

#include "model/rfc3339.h"

using namespace jlrec;

TEST_CASE("RFC 3339 times parse to nanoseconds since the epoch, offsets applied", "[rfc3339]") {
  CHECK(ParseRfc3339("1970-01-01T00:00:00Z") == 0);
  CHECK(ParseRfc3339("2026-12-01T09:04:05Z") == std::int64_t{1796115845} * 1000000000);
  CHECK(ParseRfc3339("2026-12-01T17:04:05+08:00") == ParseRfc3339("2026-12-01T09:04:05Z"));
  CHECK(ParseRfc3339("2026-12-01T04:04:05-05:00") == ParseRfc3339("2026-12-01T09:04:05Z"));
  CHECK(*ParseRfc3339("2026-12-01T09:04:05.123456789Z") - *ParseRfc3339("2026-12-01T09:04:05Z") ==
        123456789);
  CHECK(*ParseRfc3339("2026-12-01T09:04:05.5Z") - *ParseRfc3339("2026-12-01T09:04:05Z") ==
        500000000);
  CHECK(ParseRfc3339("2024-02-29T00:00:00Z").has_value());  // a leap year
}

TEST_CASE("anything else is not a time", "[rfc3339]") {
  for (const char* bad :
       {"", "0001-01-01", "2026-12-01 09:04:05Z", "2026-12-01T09:04:05", "2026-13-01T00:00:00Z",
        "2025-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-12-01T24:00:00Z",
        "2026-12-01T09:04:05.Z", "2026-12-01T09:04:05+0800", "2026-12-01T09:04:05Zjunk", "x"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseRfc3339(bad).has_value());
  }
}

TEST_CASE("a stat key's mtime is the time after its second colon", "[rfc3339]") {
  CHECK(FileModifiedAt("120:493:2026-12-01T09:04:05Z") == ParseRfc3339("2026-12-01T09:04:05Z"));
  CHECK_FALSE(FileModifiedAt("").has_value());  // a symlink's key
  CHECK_FALSE(FileModifiedAt("120:493").has_value());
  CHECK_FALSE(FileModifiedAt("120:493:12345").has_value());
}

TEST_CASE("unix seconds format as whole-second UTC times that parse back", "[rfc3339]") {
  CHECK(FormatRfc3339Utc(0) == "1970-01-01T00:00:00Z");
  CHECK(FormatRfc3339Utc(1796115845) == "2026-12-01T09:04:05Z");
  CHECK(ParseRfc3339(FormatRfc3339Utc(1796115845)) == std::int64_t{1796115845} * 1000000000);
}
