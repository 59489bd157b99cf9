// The errors the HTTP API answers: a closed set of codes, each with its HTTP status, written
// as one JSON shape (docs/api.md "Errors"), so no route invents its own.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "model/status.h"

namespace jlrec::serve {

/// What went wrong, as programs branch on it (the JSON `error.code`).
enum class ApiErrorCode {
  kBadRequest,        ///< 400 bad_request: a malformed body, query or path parameter
  kUnauthorized,      ///< 401 unauthorized: no or wrong bearer token
  kReadOnly,          ///< 403 read_only: the server has no token file
  kNotFound,          ///< 404 not_found: unknown route, group, run or target
  kMethodNotAllowed,  ///< 405 method_not_allowed
  kStalePlan,         ///< 409 stale_plan: the plan changed since the caller saw it
  kLocked,            ///< 409 locked: another apply holds the project's lock
  kUnappliable,       ///< 409 unappliable: hosts unreachable or images missing: it cannot run
  kInternal,          ///< 500 internal: the state or the manifest could not be read
  kUnavailable,       ///< 503 unavailable: shutting down
};

/// An error to answer: its code and a message for people (never a secret, never a trace).
struct ApiError {
  ApiErrorCode code = ApiErrorCode::kInternal;
  std::string message;
};

/// The HTTP status of `code`.
int HttpStatusOf(ApiErrorCode code);
/// The JSON name of `code` ("not_found", ...).
const char* ApiErrorCodeName(ApiErrorCode code);
/// `{"format_version":1,"kind":"error","error":{"code":...,"message":...}}`.
nlohmann::json ApiErrorToJson(const ApiError& error);
/// The API error for a failed engine or state call: kInvalidArgument -> 400, kNotFound -> 404,
/// kConflict -> 409 stale_plan, kCancelled -> 503, the rest -> 500. (Routes check that the
/// groups and targets they are given exist first, and answer 404 themselves.)
ApiError ApiErrorOf(const Status& status);

}  // namespace jlrec::serve
