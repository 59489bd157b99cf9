/// Fuzzes the saved-plan reader (engine/plan_json.h): the input is the text of a saved plan
/// (`jlrec plan --out FILE`), parsed as `jlrec apply --plan FILE` parses it, then read with
/// PlanFromJson.
///
/// Asserts, beyond no crash (a malformed document must be a Status, never an exception or
/// undefined behaviour):
/// - a plan that reads, written again (PlanToJson, which also words every reason), reads
///   again, and writing that gives the same document: nothing read is lost or changed on
///   the second trip.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/plan_json.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nlohmann::json doc =
      nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return 0;
  auto plan = jlrec::PlanFromJson(doc);
  if (!plan.ok()) return 0;
  const nlohmann::json written = jlrec::PlanToJson(*plan, /*verbose=*/false);
  auto again = jlrec::PlanFromJson(written);
  FUZZ_CHECK(again.ok(), again.status().ToString());
  FUZZ_CHECK(jlrec::PlanToJson(*again, false) == written,
             written.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  return 0;
}
