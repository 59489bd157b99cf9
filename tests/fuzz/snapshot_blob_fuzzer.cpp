/// Fuzzes the host snapshot codec (state/snapshot_blob.h): the input is a hosts.snapshot
/// value as the state file holds it.
///
/// Asserts, beyond no crash (a corrupt or truncated value must be an error, never an
/// overrun or a huge allocation):
/// - a value that decodes, encoded again, decodes, and encoding that gives the same bytes
///   (the encoder's output is a fixed point; the input itself may hold bytes the encoder
///   never writes, such as a bool of 2).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "state/snapshot_blob.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto decoded =
      jlrec::DecodeHostContainers(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!decoded.ok()) return 0;
  const std::string encoded = jlrec::EncodeHostContainers(*decoded);
  auto again = jlrec::DecodeHostContainers(encoded);
  FUZZ_CHECK(again.ok(), again.status().ToString());
  FUZZ_CHECK(again->size() == decoded->size(), "another number of containers");
  FUZZ_CHECK(jlrec::EncodeHostContainers(*again) == encoded, "a snapshot encodes two ways");
  return 0;
}
