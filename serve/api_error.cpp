#include "serve/api_error.h"

namespace jlrec::serve {

int HttpStatusOf(ApiErrorCode code) {
  switch (code) {
    case ApiErrorCode::kBadRequest:
      return 400;
    case ApiErrorCode::kUnauthorized:
      return 401;
    case ApiErrorCode::kReadOnly:
      return 403;
    case ApiErrorCode::kNotFound:
      return 404;
    case ApiErrorCode::kMethodNotAllowed:
      return 405;
    case ApiErrorCode::kStalePlan:
    case ApiErrorCode::kLocked:
    case ApiErrorCode::kUnappliable:
      return 409;
    case ApiErrorCode::kInternal:
      return 500;
    case ApiErrorCode::kUnavailable:
      return 503;
  }
  return 500;
}

const char* ApiErrorCodeName(ApiErrorCode code) {
  switch (code) {
    case ApiErrorCode::kBadRequest:
      return "bad_request";
    case ApiErrorCode::kUnauthorized:
      return "unauthorized";
    case ApiErrorCode::kReadOnly:
      return "read_only";
    case ApiErrorCode::kNotFound:
      return "not_found";
    case ApiErrorCode::kMethodNotAllowed:
      return "method_not_allowed";
    case ApiErrorCode::kStalePlan:
      return "stale_plan";
    case ApiErrorCode::kLocked:
      return "locked";
    case ApiErrorCode::kUnappliable:
      return "unappliable";
    case ApiErrorCode::kInternal:
      return "internal";
    case ApiErrorCode::kUnavailable:
      return "unavailable";
  }
  return "internal";
}

nlohmann::json ApiErrorToJson(const ApiError& error) {
  return {{"format_version", 1},
          {"kind", "error"},
          {"error", {{"code", ApiErrorCodeName(error.code)}, {"message", error.message}}}};
}

ApiError ApiErrorOf(const Status& status) {
  switch (status.code()) {
    case Status::Code::kInvalidArgument:
      return {ApiErrorCode::kBadRequest, status.message()};
    case Status::Code::kNotFound:
      return {ApiErrorCode::kNotFound, status.message()};
    case Status::Code::kConflict:
      return {ApiErrorCode::kStalePlan, status.message()};
    case Status::Code::kCancelled:
      return {ApiErrorCode::kUnavailable, status.message()};
    default:
      return {ApiErrorCode::kInternal, status.message()};
  }
}

}  // namespace jlrec::serve
