#include "serve/api_document.h"

#include "model/rfc3339.h"

namespace jlrec::serve {

nlohmann::json ApiDocument(const char* kind) {
  return {{"format_version", kApiFormatVersion}, {"kind", kind}};
}

nlohmann::json TimeToJson(std::int64_t unix_seconds) {
  if (unix_seconds == 0) return nullptr;
  return FormatRfc3339Utc(unix_seconds);
}

}  // namespace jlrec::serve
