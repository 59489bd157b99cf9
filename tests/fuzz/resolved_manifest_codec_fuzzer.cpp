/// Fuzzes the resolved-manifest cache record (manifests/resolved_manifest_codec.h): the input
/// is a record as the state file holds it.
///
/// Asserts, beyond no crash (a corrupt or truncated record must be an error, never an
/// overrun or a huge allocation):
/// - a record that decodes, encoded again with its warnings, decodes, and encoding that
///   gives the same bytes (the encoder's output is a fixed point);
/// - a decoded state is digests_only (it never carries scripts or env values).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "manifests/resolved_manifest_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto decoded =
      jlrec::DecodeResolvedManifest(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!decoded.ok()) return 0;
  FUZZ_CHECK(decoded->state.digests_only, "a cached state that is not digests_only");
  for (const auto& c : decoded->state.containers)
    FUZZ_CHECK(c.script.empty() && c.env.empty(), "a cached container with a script or env");
  const std::string encoded = jlrec::EncodeResolvedManifest(decoded->state, decoded->warnings);
  auto again = jlrec::DecodeResolvedManifest(encoded);
  FUZZ_CHECK(again.ok(), again.status().ToString());
  FUZZ_CHECK(jlrec::EncodeResolvedManifest(again->state, again->warnings) == encoded,
             "a resolved manifest encodes two ways");
  return 0;
}
