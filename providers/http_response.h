// An HTTP/1.1 response as received from the Docker daemon.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jlrec {

/// One complete HTTP response (after any 1xx interim responses).
struct HttpResponse {
  int status = 0;         ///< status code, 200..599
  int version_minor = 1;  ///< x of HTTP/1.x
  std::string reason;     ///< reason phrase (informational only)
  /// Header fields in arrival order, names as sent (compare case-insensitively).
  std::vector<std::pair<std::string, std::string>> headers;
  /// Trailer fields of a chunked body, in arrival order.
  std::vector<std::pair<std::string, std::string>> trailers;
  /// The body, de-chunked; empty when the body was handed to a sink instead.
  std::string body;
  /// True when the connection may carry another request after this response.
  bool keep_alive = true;

  /// The value of the first header named `name` (case-insensitive), or nullptr.
  const std::string* FindHeader(std::string_view name) const;
  /// True for 2xx statuses.
  bool success() const { return status >= 200 && status < 300; }
};

/// True if `a` and `b` are equal ignoring ASCII case.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace jlrec
