// Runs a function when a scope ends, also when a REQUIRE throws: cleanup in tests.
#pragma once

#include <functional>
#include <utility>

namespace jlrec::testing {

/// Calls `fn` from its destructor.
class Finally {
 public:
  explicit Finally(std::function<void()> fn) : fn_(std::move(fn)) {}
  ~Finally() { fn_(); }
  Finally(const Finally&) = delete;
  Finally& operator=(const Finally&) = delete;

 private:
  std::function<void()> fn_;
};

}  // namespace jlrec::testing
