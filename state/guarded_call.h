// Where library exceptions (std::bad_alloc, nlohmann-json) stop inside the state backends:
// every StateStore method runs its body through GuardedCall, so an exception becomes a Status.
#pragma once

#include <exception>
#include <string>

#include "model/status.h"

namespace jlrec {

/// `f()`, or kInternal "<what>: <exception message>" when it throws.
template <typename F>
auto GuardedCall(const char* what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return Status::Internal(std::string(what) + ": " + e.what());
  } catch (...) {
    return Status::Internal(std::string(what) + ": unknown exception");
  }
}

}  // namespace jlrec
