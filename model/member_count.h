// How many members an aggregate has, as the compiler counts them. A field list (such as
// model/spec_fields.h) is checked against it, so a member added to a struct but not to its
// list is a compile error, not a field that some encoding silently leaves out.
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

namespace jlrec {

namespace member_count_detail {

// Converts to the type of whatever member it initialises. Only named in unevaluated
// operands, so it is declared and never defined.
struct AnyMember {
  template <class T>
  operator T() const;
};

template <class T, std::size_t... I>
constexpr bool InitializableFrom(std::index_sequence<I...>) {
  return requires { T{(void(I), AnyMember{})...}; };
}

}  // namespace member_count_detail

/// The number of members of aggregate `T`: the largest N for which `T{x1, ..., xN}` compiles.
/// `T` must have no base classes and no C arrays or aggregates as members (brace elision
/// would count their elements); the structs it is used on hold strings, containers,
/// optionals, durations and integers.
template <class T, std::size_t N = 0>
consteval std::size_t MemberCount() {
  static_assert(std::is_aggregate_v<T>, "MemberCount counts the members of an aggregate");
  if constexpr (member_count_detail::InitializableFrom<T>(std::make_index_sequence<N + 1>{}))
    return MemberCount<T, N + 1>();
  else
    return N;
}

}  // namespace jlrec
