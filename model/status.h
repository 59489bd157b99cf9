// Errors as values across module boundaries (after leveldb's Status).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace jlrec {

/// The outcome of an operation: ok, or a code plus a human-readable message.
/// Cheap to copy; never throws.
class [[nodiscard]] Status {
 public:
  /// What kind of failure this is; callers branch on it, humans read the message.
  enum class Code {
    kOk = 0,
    kInvalidArgument,  // bad input: manifest, flags, request
    kNotFound,         // the thing asked for does not exist
    kUnavailable,      // host/daemon could not be reached (connect, auth, host key)
    kIoError,          // local file or database trouble
    kRemoteError,      // the remote side answered with an error (Docker API 4xx/5xx)
    kTimeout,          // an operation ran past its deadline
    kConflict,         // a lock is held, a plan is stale, a name is taken
    kCancelled,        // stopped by signal or fail-fast
    kInternal,         // a bug in jlrec
  };

  /// Constructs an ok status.
  Status() = default;

  /// Returns an ok status.
  static Status Ok() { return Status(); }
  /// Returns a kInvalidArgument status carrying `msg`.
  static Status InvalidArgument(std::string msg) {
    return {Code::kInvalidArgument, std::move(msg)};
  }
  /// Returns a kNotFound status carrying `msg`.
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  /// Returns a kUnavailable status carrying `msg`.
  static Status Unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
  /// Returns a kIoError status carrying `msg`.
  static Status IoError(std::string msg) { return {Code::kIoError, std::move(msg)}; }
  /// Returns a kRemoteError status carrying `msg`.
  static Status RemoteError(std::string msg) { return {Code::kRemoteError, std::move(msg)}; }
  /// Returns a kTimeout status carrying `msg`.
  static Status Timeout(std::string msg) { return {Code::kTimeout, std::move(msg)}; }
  /// Returns a kConflict status carrying `msg`.
  static Status Conflict(std::string msg) { return {Code::kConflict, std::move(msg)}; }
  /// Returns a kCancelled status carrying `msg`.
  static Status Cancelled(std::string msg) { return {Code::kCancelled, std::move(msg)}; }
  /// Returns a kInternal status carrying `msg`.
  static Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }

  /// True when the operation succeeded.
  bool ok() const { return code_ == Code::kOk; }
  /// The failure kind (kOk when ok()).
  Code code() const { return code_; }
  /// The message (empty when ok()).
  const std::string& message() const { return message_; }
  /// "ok" or "<code name>: <message>", for logs.
  std::string ToString() const;
  /// Returns a copy whose message is prefixed by `context: `, keeping the code.
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_);
  }
  /// Returns a copy whose message is followed by `; note`, keeping the code.
  Status WithNote(const std::string& note) const {
    if (ok()) return *this;
    return Status(code_, message_ + "; " + note);
  }

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

/// The printable name of a status code ("invalid argument", "unavailable", ...).
const char* StatusCodeName(Status::Code code);

/// A value or the Status explaining why there is none (an expected-like type).
template <typename T>
class [[nodiscard]] Result {
 public:
  /// Holds a value.
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  /// Holds an error; `status` must not be ok.
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: implicit by design

  /// True when a value is held.
  bool ok() const { return std::holds_alternative<T>(v_); }
  /// The error, or an ok Status when a value is held.
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }
  /// The value; must only be called when ok().
  T& value() & { return std::get<T>(v_); }
  /// The value; must only be called when ok().
  const T& value() const& { return std::get<T>(v_); }
  /// Moves the value out; must only be called when ok().
  T&& value() && { return std::get<T>(std::move(v_)); }
  /// Member access on the value; must only be called when ok().
  T* operator->() { return &std::get<T>(v_); }
  /// Member access on the value; must only be called when ok().
  const T* operator->() const { return &std::get<T>(v_); }
  /// The value; must only be called when ok().
  T& operator*() & { return std::get<T>(v_); }
  /// The value; must only be called when ok().
  const T& operator*() const& { return std::get<T>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace jlrec
