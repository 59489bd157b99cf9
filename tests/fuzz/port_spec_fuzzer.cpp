/// Fuzzes the port grammar (model/port_spec.h): the input is one port spec as a manifest's
/// `ports:` would hold it.
///
/// Asserts, beyond no crash:
/// - ParsePortSpec and PortSpecProblem agree (validate and apply read ports alike);
/// - each binding's canonical form parses again to exactly that one binding (the diff
///   compares canonical strings, so a canonical form that reads back otherwise would make a
///   container look changed forever);
/// - CanonicalPorts of the spec is sorted and is its own canonical form.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "model/port_spec.h"

namespace {

// A range "1-65535" expands to 65535 bindings: legal, but slow to check on every input.
constexpr std::size_t kMaxBindingsChecked = 256;

bool SameBinding(const jlrec::PortBinding& a, const jlrec::PortBinding& b) {
  return a.host_ip == b.host_ip && a.host_port == b.host_port &&
         a.container_port == b.container_port && a.protocol == b.protocol;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string spec(reinterpret_cast<const char*>(data), size);
  auto bindings = jlrec::ParsePortSpec(spec);
  const auto problem = jlrec::PortSpecProblem(spec);
  FUZZ_CHECK(bindings.ok() == !problem.has_value(), spec);
  if (!bindings.ok()) return 0;
  FUZZ_CHECK(!bindings->empty(), spec);
  if (bindings->size() > kMaxBindingsChecked) return 0;

  for (const jlrec::PortBinding& b : *bindings) {
    const std::string canonical = b.ToString();
    auto again = jlrec::ParsePortSpec(canonical);
    FUZZ_CHECK(again.ok(), spec + " -> " + canonical);
    FUZZ_CHECK(again->size() == 1 && SameBinding(again->front(), b), spec + " -> " + canonical);
    FUZZ_CHECK(again->front().ToString() == canonical, spec + " -> " + canonical);
  }

  auto canonical = jlrec::CanonicalPorts({spec});
  FUZZ_CHECK(canonical.ok(), spec);
  FUZZ_CHECK(canonical->size() == bindings->size(), spec);
  auto twice = jlrec::CanonicalPorts(*canonical);
  FUZZ_CHECK(twice.ok() && *twice == *canonical, spec);
  return 0;
}
