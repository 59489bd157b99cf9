#include "state/snapshot_blob.h"

#include "model/byte_codec.h"
#include "model/spec_fields.h"

namespace jlrec {

namespace {

// "JLRS" and a format number: bumped whenever the layout below changes.
constexpr std::uint32_t kMagic = 0x53524c4a;
// 2: the spec carries the healthcheck; the restart count and exit code follow the health.
constexpr std::uint32_t kFormat = 2;
// WriteSpec writes every field of the spec's field list (model/spec_fields.h), so a field
// added there changes this layout too.
static_assert(FieldCount<ContainerSpec>() == 8 && FieldCount<Healthcheck>() == 4,
              "the spec's fields changed WriteSpec's layout: bump kFormat, then these counts");

}  // namespace

std::string EncodeHostContainers(const std::vector<LiveContainer>& containers) {
  ByteWriter w;
  w.U32(kMagic);
  w.U32(kFormat);
  w.U32(static_cast<std::uint32_t>(containers.size()));
  for (const LiveContainer& c : containers) {
    w.Str(c.id);
    w.Str(c.name);
    w.Str(c.image_id);
    WriteSpec(w, c.spec);
    w.StrMap(c.jlrec_labels);
    w.Str(c.state);
    w.Str(c.health);
    w.I64(c.restart_count);
    w.I64(c.exit_code);
    w.Str(c.created);
    w.Str(c.started_at);
    w.Bool(c.script_digest.has_value());
    w.Str(c.script_digest.value_or(""));
    w.Str(c.script_stat);
  }
  return w.Take();
}

Result<std::vector<LiveContainer>> DecodeHostContainers(std::string_view bytes) {
  ByteReader r(bytes);
  if (r.U32() != kMagic || !r.ok()) return Status::InvalidArgument("not a host snapshot value");
  if (std::uint32_t format = r.U32(); format != kFormat)
    return Status::InvalidArgument("host snapshot value of format " + std::to_string(format) +
                                   ", expected " + std::to_string(kFormat));
  std::vector<LiveContainer> containers(r.Count(64));
  for (LiveContainer& c : containers) {
    if (!r.ok()) break;
    c.id = r.Str();
    c.name = r.Str();
    c.image_id = r.Str();
    ReadSpec(r, c.spec);
    c.jlrec_labels = r.StrMap();
    c.state = r.Str();
    c.health = r.Str();
    c.restart_count = static_cast<int>(r.I64());
    c.exit_code = static_cast<int>(r.I64());
    c.created = r.Str();
    c.started_at = r.Str();
    bool has_script = r.Bool();
    std::string digest = r.Str();
    if (has_script) c.script_digest = std::move(digest);
    c.script_stat = r.Str();
  }
  if (!r.ok() || !r.AtEnd())
    return Status::InvalidArgument("host snapshot value is truncated or corrupt");
  return containers;
}

}  // namespace jlrec
