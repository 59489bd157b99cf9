#include "engine/plan_json.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>

namespace jlrec {

namespace {

using nlohmann::json;

// Member `name` of `object` as an integer of type T (`absent` when it is missing and has
// one). nlohmann's get<T>() converts a fraction or an out-of-range number anyway (undefined
// behaviour for a float), so the type and range are checked here; std::invalid_argument
// naming the member otherwise.
template <typename T>
T IntegerMember(const json& object, const char* name, std::optional<T> absent = std::nullopt) {
  const auto it = object.find(name);
  if (it == object.end() && absent) return *absent;
  const json& value = object.at(name);
  if (value.is_number_unsigned()) {
    const auto v = value.get<std::uint64_t>();
    if (v <= static_cast<std::uint64_t>(std::numeric_limits<T>::max())) return static_cast<T>(v);
  } else if (value.is_number_integer()) {
    const auto v = value.get<std::int64_t>();
    if (v >= std::numeric_limits<T>::min() && v <= std::numeric_limits<T>::max())
      return static_cast<T>(v);
  }
  throw std::invalid_argument(std::string(name) + " is not an integer in range");
}

// Only the facts that are set: most reasons have none or one.
json FactsToJson(const ReasonFacts& f) {
  json out = json::object();
  if (f.now != ReasonKind::kNone) out["now"] = ReasonKindName(f.now);
  if (f.exit_code != 0) out["exit_code"] = f.exit_code;
  if (f.restart_count != 0) out["restart_count"] = f.restart_count;
  if (f.stopped_run != 0) out["stopped_run"] = f.stopped_run;
  if (f.from_cache) out["from_cache"] = true;
  if (!f.holder_project.empty()) out["holder_project"] = f.holder_project;
  if (!f.holder_host.empty()) out["holder_host"] = f.holder_host;
  if (!f.image.empty()) out["image"] = f.image;
  if (!f.detail.empty()) out["detail"] = f.detail;
  return out;
}

ReasonFacts FactsFromJson(const json& j) {
  ReasonFacts f;
  if (auto now = ParseReasonKind(j.value("now", ""))) f.now = *now;
  f.exit_code = IntegerMember<int>(j, "exit_code", 0);
  f.restart_count = IntegerMember<int>(j, "restart_count", 0);
  f.stopped_run = IntegerMember<std::int64_t>(j, "stopped_run", 0);
  f.from_cache = j.value("from_cache", false);
  f.holder_project = j.value("holder_project", "");
  f.holder_host = j.value("holder_host", "");
  f.image = j.value("image", "");
  f.detail = j.value("detail", "");
  return f;
}

json ActionToJson(const PlanAction& a) {
  json changes = json::array();
  for (const auto& c : a.changes)
    changes.push_back({{"field", c.field}, {"old", c.old_value}, {"new", c.new_value}});
  json out = {
      {"action", ActionName(a.kind)},
      {"symbol", ActionSymbol(a.kind)},
      {"host", a.host},
      {"container", a.name},
      {"groups", a.groups},
      {"core", a.core},
      {"reason_kind", ReasonKindName(a.reason_kind)},
      {"reason", ReasonText(a)},
      {"changes", changes},
      {"fingerprint",
       {{"exists", a.fingerprint.exists},
        {"container_id", a.fingerprint.container_id},
        {"spec_digest", a.fingerprint.spec_digest},
        {"script_digest", a.fingerprint.script_digest},
        {"state", a.fingerprint.state}}},
  };
  if (a.reason_facts != ReasonFacts{}) out["reason_facts"] = FactsToJson(a.reason_facts);
  if (!a.pinned_image.empty()) out["pinned_image"] = a.pinned_image;
  // What the plan was made for: a saved plan's apply refuses a manifest that asks for more.
  if (a.desired)
    out["desired"] = {{"image", a.desired->spec.image},
                      {"spec_digest", a.desired->spec_digest},
                      {"script_digest", a.desired->script_digest}};
  if (a.adopt) out["adopt"] = true;
  if (a.failure)
    out["failure"] = {
        {"action", a.failure->action},           {"run_id", a.failure->run_id},
        {"failed_at", a.failure->failed_at},     {"reason", a.failure->reason},
        {"rolled_back", a.failure->rolled_back}, {"container_id", a.failure->container_id},
        {"spec_digest", a.failure->spec_digest}, {"script_digest", a.failure->script_digest}};
  if (a.previous)
    out["previous"] = {
        {"container_id", a.previous->id}, {"name", a.previous->name}, {"state", a.previous->state}};
  return out;
}

PlanAction ActionFromJson(const json& j) {
  PlanAction a;
  auto kind = ParseActionKind(j.at("action").get<std::string>());
  if (!kind)
    throw std::invalid_argument("unknown action '" + j.at("action").get<std::string>() + "'");
  a.kind = *kind;
  a.host = j.at("host").get<std::string>();
  a.name = j.at("container").get<std::string>();
  a.groups = j.at("groups").get<std::vector<std::string>>();
  a.core = j.at("core").get<bool>();
  for (const auto& c : j.at("changes"))
    a.changes.push_back({c.at("field").get<std::string>(), c.at("old").get<std::string>(),
                         c.at("new").get<std::string>()});
  const auto& f = j.at("fingerprint");
  a.fingerprint.exists = f.at("exists").get<bool>();
  a.fingerprint.container_id = f.at("container_id").get<std::string>();
  a.fingerprint.spec_digest = f.at("spec_digest").get<std::string>();
  a.fingerprint.script_digest = f.at("script_digest").get<std::string>();
  a.fingerprint.state = f.at("state").get<std::string>();
  a.pinned_image = j.value("pinned_image", "");
  if (auto d = j.find("desired"); d != j.end() && d->is_object()) {
    // Only the digests: AttachDesired checks the manifest as loaded then against them.
    DesiredContainer planned;
    planned.host = a.host;
    planned.name = a.name;
    planned.spec.image = d->at("image").get<std::string>();
    planned.spec_digest = d->at("spec_digest").get<std::string>();
    planned.script_digest = d->at("script_digest").get<std::string>();
    a.desired = std::move(planned);
  }
  if (auto r = ParseReasonKind(j.value("reason_kind", ""))) a.reason_kind = *r;
  if (auto f = j.find("reason_facts"); f != j.end() && f->is_object())
    a.reason_facts = FactsFromJson(*f);
  a.adopt = j.value("adopt", false);
  if (auto f = j.find("failure"); f != j.end() && f->is_object()) {
    ActionFailure failure;
    failure.host = a.host;
    failure.container = a.name;
    failure.action = f->at("action").get<std::string>();
    failure.run_id = IntegerMember<std::int64_t>(*f, "run_id");
    failure.failed_at = IntegerMember<std::int64_t>(*f, "failed_at", 0);
    failure.reason = f->at("reason").get<std::string>();
    failure.rolled_back = f->value("rolled_back", false);
    failure.container_id = f->value("container_id", "");
    failure.spec_digest = f->value("spec_digest", "");
    failure.script_digest = f->value("script_digest", "");
    a.failure = std::move(failure);
  }
  if (auto p = j.find("previous"); p != j.end() && p->is_object()) {
    // Only what identifies it: a saved plan's apply inspects it again (CheckFingerprints).
    LiveContainer previous;
    previous.id = p->at("container_id").get<std::string>();
    previous.name = p->at("name").get<std::string>();
    previous.state = p->value("state", "");
    a.previous = std::move(previous);
  }
  return a;
}

}  // namespace

nlohmann::json PlanToJson(const Plan& plan, bool verbose) {
  json actions = json::array(), orphans = json::array(), errors = json::array();
  for (const auto& a : plan.actions) actions.push_back(ActionToJson(a));
  for (const auto& a : plan.orphans) orphans.push_back(ActionToJson(a));
  for (const auto& e : plan.host_errors) errors.push_back({{"host", e.host}, {"error", e.error}});
  json summary = json::object();
  for (auto k : {ActionKind::kCreate, ActionKind::kReplace, ActionKind::kUpdate, ActionKind::kStart,
                 ActionKind::kRemove, ActionKind::kConflict, ActionKind::kUnknown})
    summary[ActionName(k)] = plan.Count(k);
  summary["adopt"] = plan.Adoptions();  // kAdopt entries, and updates or starts that adopt
  summary["unchanged"] = plan.noops.size();
  int failed = 0;
  for (const auto& a : plan.actions) failed += a.reason_kind == ReasonKind::kFailed;
  summary["failed"] = failed;
  summary["orphaned"] = plan.orphans.size();
  json doc = {
      {"format_version", kPlanFormatVersion},
      {"project", plan.project},
      {"groups", plan.groups},
      {"manifest_digest", plan.manifest_digest},
      {"from_cache", plan.from_cache},
      {"oldest_observation", plan.oldest_observation},
      {"changes", plan.HasChanges()},
      {"errors", plan.HasErrors()},
      {"actions", actions},
      {"orphans", orphans},
      {"host_errors", errors},
      {"warnings", plan.warnings},
      {"summary", summary},
  };
  if (verbose) {
    json unchanged = json::array();
    for (const auto& a : plan.noops) unchanged.push_back(a.Ref());
    doc["unchanged"] = unchanged;
  }
  return doc;
}

Result<Plan> PlanFromJson(const nlohmann::json& doc) {
  try {
    if (!doc.is_object() || !doc.contains("format_version"))
      return Status::InvalidArgument("not a jlrec plan (no format_version)");
    int version = IntegerMember<int>(doc, "format_version");
    if (version != kPlanFormatVersion)
      return Status::InvalidArgument("plan format_version " + std::to_string(version) +
                                     " is not supported (this jlrec reads " +
                                     std::to_string(kPlanFormatVersion) + ")");
    Plan plan;
    plan.project = doc.at("project").get<std::string>();
    plan.groups = doc.at("groups").get<std::vector<std::string>>();
    plan.manifest_digest = doc.at("manifest_digest").get<std::string>();
    plan.from_cache = doc.value("from_cache", false);
    plan.oldest_observation = IntegerMember<std::int64_t>(doc, "oldest_observation", 0);
    for (const auto& a : doc.at("actions")) plan.actions.push_back(ActionFromJson(a));
    for (const auto& a : doc.at("orphans")) plan.orphans.push_back(ActionFromJson(a));
    for (const auto& e : doc.at("host_errors"))
      plan.host_errors.push_back(
          {e.at("host").get<std::string>(), e.at("error").get<std::string>()});
    plan.warnings = doc.value("warnings", std::vector<std::string>{});
    return plan;
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("malformed plan document: ") + e.what());
  }
}

}  // namespace jlrec
