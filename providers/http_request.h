// An HTTP/1.1 request and its wire form.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/status.h"

namespace jlrec {

/// What to send; the serializer adds Host and Content-Length.
struct HttpRequest {
  std::string method;  ///< "GET", "POST", ...
  std::string target;  ///< origin-form "/path?query", already percent-encoded
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra header fields
  std::string body;                                          ///< request content
};

/// The bytes of `request` for a server known as `host`. kInvalidArgument if a method,
/// target or header would break the framing (spaces, CR, LF, NUL, non-token names).
Result<std::string> SerializeHttpRequest(const HttpRequest& request, std::string_view host);

}  // namespace jlrec
