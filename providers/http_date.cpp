#include "providers/http_date.h"

#include <array>
#include <string>

#include "model/rfc3339.h"

namespace jlrec {

namespace {

constexpr std::array<std::string_view, 7> kDayNames = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 12> kMonthNames = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::int64_t kSecondsPerDay = 86400;

// 1970-01-01 was a Thursday.
std::size_t DayOfWeek(std::int64_t unix_seconds) {
  const std::int64_t days = unix_seconds / kSecondsPerDay;  // callers never pass negatives
  return static_cast<std::size_t>((days + 4) % 7);
}

}  // namespace

std::optional<std::int64_t> ParseHttpDate(std::string_view s) {
  // "Tue, 01 Dec 2026 17:08:43 GMT": fixed width, every field at its own offset.
  if (s.size() != 29 || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT")
    return std::nullopt;
  std::size_t day_name = 0;
  while (day_name < kDayNames.size() && kDayNames[day_name] != s.substr(0, 3)) ++day_name;
  int month = 1;
  while (month <= 12 && kMonthNames[static_cast<std::size_t>(month - 1)] != s.substr(8, 3)) ++month;
  // Go's clock never shows a leap second, which RFC 3339 (and ParseRfc3339) allows.
  if (day_name == kDayNames.size() || month > 12 || s.substr(23, 2) > "59") return std::nullopt;
  // The same instant in RFC 3339: ParseRfc3339 checks every digit and the calendar.
  const char month_digits[] = {static_cast<char>('0' + month / 10),
                               static_cast<char>('0' + month % 10), '\0'};
  const std::string rfc3339 = std::string(s.substr(12, 4)) + "-" + month_digits + "-" +
                              std::string(s.substr(5, 2)) + "T" + std::string(s.substr(17, 8)) +
                              "Z";
  auto nanos = ParseRfc3339(rfc3339);
  if (!nanos || *nanos < 0) return std::nullopt;  // before 1970: no Docker answered then
  const std::int64_t seconds = *nanos / 1000000000;
  // A day name that contradicts the date means the header is not what it claims to be.
  if (DayOfWeek(seconds) != day_name) return std::nullopt;
  return seconds;
}

}  // namespace jlrec
