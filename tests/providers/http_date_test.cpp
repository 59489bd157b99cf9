#include "providers/http_date.h"

#include <catch2/catch.hpp>

namespace jlrec {
namespace {

TEST_CASE("parses the Date header Docker's Go server sends", "[providers][http]") {
  CHECK(ParseHttpDate("Tue, 01 Dec 2026 17:08:43 GMT") == 1796144923);
  CHECK(ParseHttpDate("Thu, 01 Jan 1970 00:00:00 GMT") == 0);
  CHECK(ParseHttpDate("Sun, 29 Feb 2032 23:59:59 GMT") == 1961711999);  // leap day
  CHECK(ParseHttpDate("Tue, 29 Feb 2000 00:00:00 GMT") == 951782400);   // 400-year leap
}

TEST_CASE("refuses whatever is not an IMF-fixdate of a real instant", "[providers][http]") {
  for (const char* bad : {
           "",
           "Mon, 01 Dec 2026 17:08:43 GMT",    // the day name contradicts the date
           "Tue, 1 Dec 2026 17:08:43 GMT",     // day not two digits
           "Tuesday, 01-Dec-26 17:08:43 GMT",  // RFC 850
           "Tue Dec  1 17:08:43 2026",         // asctime
           "Tue, 01 Dec 2026 17:08:43 UTC",    // only GMT is allowed
           "Tue, 01 Dec 2026 17:08:43 +0000",  // no numeric zones
           "Tue, 01 dec 2026 17:08:43 GMT",    // month names are case-sensitive
           "Tue, 01 Dec 2026 17:08:43 GMT ",   // trailing garbage
           " Tue, 01 Dec 2026 17:08:43 GMT",   // leading garbage
           "Mon, 31 Nov 2026 17:08:43 GMT",    // no such day
           "Sun, 29 Feb 2100 00:00:00 GMT",    // 2100 is not a leap year
           "Tue, 01 Dec 2026 24:00:00 GMT",    // hour out of range
           "Tue, 01 Dec 2026 17:60:00 GMT",    // minute out of range
           "Tue, 01 Dec 2026 17:08:60 GMT",    // Go never writes a leap second
           "Wed, 31 Dec 1969 23:59:59 GMT",    // before the epoch
           "Tue, 01 Dec 2026 17:08:4x GMT",    // not a digit
           "Tue, 01 Dec 2026 17-08-43 GMT",    // wrong separators
       }) {
    INFO(bad);
    CHECK_FALSE(ParseHttpDate(bad));
  }
}

}  // namespace
}  // namespace jlrec
