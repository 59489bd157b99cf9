#include "model/status.h"

namespace jlrec {

const char* StatusCodeName(Status::Code code) {
  switch (code) {
    case Status::Code::kOk:
      return "ok";
    case Status::Code::kInvalidArgument:
      return "invalid argument";
    case Status::Code::kNotFound:
      return "not found";
    case Status::Code::kUnavailable:
      return "unavailable";
    case Status::Code::kIoError:
      return "I/O error";
    case Status::Code::kRemoteError:
      return "remote error";
    case Status::Code::kTimeout:
      return "timeout";
    case Status::Code::kConflict:
      return "conflict";
    case Status::Code::kCancelled:
      return "cancelled";
    case Status::Code::kInternal:
      return "internal error";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return std::string(StatusCodeName(code_)) + ": " + message_;
}

}  // namespace jlrec
