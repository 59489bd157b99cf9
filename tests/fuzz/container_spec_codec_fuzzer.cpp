/// Fuzzes the spec's binary form (model/container_spec.h ReadSpec, on model/byte_codec.h):
/// the input is the bytes a cache record holds where a spec starts.
///
/// Asserts, beyond no crash (and no read out of bounds: ByteReader must stop at the end):
/// - a spec that reads, written back (WriteSpec), reads again to an equal spec using every
///   byte written; writing that gives the same bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "model/byte_codec.h"
#include "model/container_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  jlrec::ByteReader reader(std::string_view(reinterpret_cast<const char*>(data), size));
  jlrec::ContainerSpec spec;
  jlrec::ReadSpec(reader, spec);
  if (!reader.ok()) return 0;

  jlrec::ByteWriter writer;
  jlrec::WriteSpec(writer, spec);
  const std::string written = writer.Take();
  jlrec::ByteReader again_reader(written);
  jlrec::ContainerSpec again;
  jlrec::ReadSpec(again_reader, again);
  FUZZ_CHECK(again_reader.ok() && again_reader.AtEnd(), "a written spec does not read back");
  FUZZ_CHECK(again == spec, "a written spec reads back different");
  FUZZ_CHECK(jlrec::SpecDigest(again) == jlrec::SpecDigest(spec), "equal specs, other digests");
  jlrec::ByteWriter rewriter;
  jlrec::WriteSpec(rewriter, again);
  FUZZ_CHECK(rewriter.Take() == written, "a spec writes two ways");
  return 0;
}
