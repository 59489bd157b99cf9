// Small string helpers every layer needs, defined once.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace jlrec {

/// `items` with `separator` between each two: Join({"a", "b"}, ", ") == "a, b"; "" when empty.
std::string Join(const std::vector<std::string>& items, std::string_view separator = ", ");

}  // namespace jlrec
