#include "providers/http_request.h"

#include <algorithm>
#include <cctype>

#include "providers/http_response.h"

namespace jlrec {

namespace {

bool IsTchar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), IsTchar); }

// Visible ASCII only: anything else in a request target must be percent-encoded.
bool IsValidTarget(std::string_view s) {
  return !s.empty() && s[0] == '/' &&
         std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

bool IsValidFieldValue(std::string_view s) {
  return std::none_of(s.begin(), s.end(),
                      [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

}  // namespace

Result<std::string> SerializeHttpRequest(const HttpRequest& request, std::string_view host) {
  if (!IsToken(request.method))
    return Status::InvalidArgument("bad HTTP method '" + request.method + "'");
  if (!IsValidTarget(request.target))
    return Status::InvalidArgument("bad HTTP request target '" + request.target + "'");
  if (!IsToken(host)) return Status::InvalidArgument("bad HTTP host '" + std::string(host) + "'");

  std::string out;
  out.reserve(256 + request.body.size());
  out += request.method;
  out += ' ';
  out += request.target;
  out += " HTTP/1.1\r\nHost: ";
  out += host;
  out += "\r\n";
  for (const auto& [name, value] : request.headers) {
    if (!IsToken(name) || EqualsIgnoreCase(name, "Host") ||
        EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Transfer-Encoding"))
      return Status::InvalidArgument("bad or reserved HTTP header name '" + name + "'");
    if (!IsValidFieldValue(value))
      return Status::InvalidArgument("HTTP header '" + name + "' has a CR, LF or NUL");
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  // Go's server (Docker) needs explicit framing for bodies; methods that normally carry
  // one say so even when it is empty.
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
      request.method == "PATCH") {
    out += "Content-Length: ";
    out += std::to_string(request.body.size());
    out += "\r\n";
  }
  out += "\r\n";
  out += request.body;
  return out;
}

}  // namespace jlrec
