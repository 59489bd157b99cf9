// A plan: the closed set of actions that make live match desired (after Terraform's
// plan, where the action enum doubles as the printed symbol).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/plan_reason.h"
#include "model/action_failure.h"
#include "model/desired_state.h"
#include "model/live_state.h"

namespace jlrec {

/// What a plan does to one container. Closed set; the symbol is what `plan` prints.
enum class ActionKind {
  kNoop,      ///< "  "  matches; counted, not listed
  kCreate,    ///< "+"   no container with that name on that host
  kReplace,   ///< "-/+" an immutable spec field differs (or unmanaged, with --replace-unmanaged)
  kUpdate,    ///< "~"   spec matches, /run.sh differs: upload + restart, same id
  kStart,     ///< ">"   spec and script match, not running
  kRemove,    ///< "-"   orphan of the project, with --prune
  kConflict,  ///< "!"   wanted name taken by an unmanaged container; reported, skipped
  kUnknown,   ///< "?"   host could not be refreshed; nothing planned
  /// "="  a container made outside jlrec (no labels) that matches the manifest: from now
  ///      on managed as it is, same id, no restart (recorded in the state: labels are
  ///      immutable). An adoption whose /run.sh differs is a kUpdate with `adopt` set.
  kAdopt,
};

/// Where an update keeps the /run.sh it replaces, inside the container.
inline constexpr const char* kPreviousScriptPath = "/run.sh.jlrec-prev";

/// The printed symbol of `kind` ("+", "-/+", "~", ">", "-", "!", "?", "" for noop).
const char* ActionSymbol(ActionKind kind);
/// The lower-case name of `kind` ("create", "replace", ...), used in JSON and the journal.
const char* ActionName(ActionKind kind);
/// Parses ActionName() output; nullopt for anything else.
std::optional<ActionKind> ParseActionKind(const std::string& name);
/// True for the kinds apply executes (create, replace, update, start, remove, adopt).
bool IsExecutable(ActionKind kind);

/// One reason: a field and its old -> new value (secrets already redacted).
struct FieldChange {
  std::string field;      ///< "image", "command", "volumes", "script", "env.FOO", "state", ...
  std::string old_value;  ///< as observed ("(none)" when absent)
  std::string new_value;  ///< as wanted
};

/// The live state a planned action was computed from; a saved plan re-checks it.
struct LiveFingerprint {
  bool exists = false;        ///< a container with that name existed
  std::string container_id;   ///< its id
  std::string spec_digest;    ///< SpecDigest(live.spec)
  std::string script_digest;  ///< sha256 of its /run.sh ("" if absent)
  std::string state;          ///< Docker State.Status
  bool operator==(const LiveFingerprint&) const = default;
};

/// One container's entry in the plan.
struct PlanAction {
  ActionKind kind = ActionKind::kNoop;
  std::string host;                 ///< host key
  std::string name;                 ///< container name
  std::vector<std::string> groups;  ///< groups it belongs to (desired, or labels for orphans)
  bool core = false;                ///< its unit is a group master
  ReasonKind reason_kind = ReasonKind::kNone;  ///< why, for programs
  ReasonFacts reason_facts;                    ///< what ReasonText words it from, with `changes`
  std::vector<FieldChange> changes;            ///< per-field reasons
  std::optional<DesiredContainer> desired;     ///< absent for remove and for no-ops
  std::optional<LiveContainer> live;           ///< absent for create / unknown and for no-ops
  std::string pinned_image;  ///< "repo@sha256:..." when the tag moved; apply runs exactly this
  /// Create and replace: the registry digest ("sha256:...") the desired image's tag resolved
  /// to in the refresh the plan was made from; "" when not known (a plan from the state cache,
  /// a registry that did not answer, a digest reference, a saved plan). Shown by `plan`; not
  /// part of plan JSON.
  std::string image_digest;
  LiveFingerprint fingerprint;  ///< of the live container; empty for no-ops
  /// The NAME.jlrec-prev container an interrupted replace left (reason kInterrupted): apply
  /// finishes that replace, or puts this container back under its name.
  std::optional<LiveContainer> previous;
  /// The earlier failed action this entry redoes or carries on from (reason kFailed).
  std::optional<ActionFailure> failure;
  /// The container was made outside jlrec and this action adopts it (kAdopt; or a kUpdate
  /// that adopts it, then writes its /run.sh and restarts it). Apply adopts only when told to.
  bool adopt = false;
  /// "host/container".
  std::string Ref() const { return host + "/" + name; }
};

/// A container the plan leaves as it is: counted, and listed only with --verbose. Kept this
/// small on purpose: a fleet in sync is mostly made of these.
struct UnchangedContainer {
  std::string host;                 ///< host key
  std::string name;                 ///< container name
  std::vector<std::string> groups;  ///< groups it belongs to
  bool core = false;                ///< its unit is a group master
  /// "host/container".
  std::string Ref() const { return host + "/" + name; }
};

/// A host the plan could not see.
struct HostError {
  std::string host;
  std::string error;
};

/// The whole plan, actions in the order apply would run them.
struct Plan {
  std::string project;
  std::vector<std::string> groups;        ///< groups selected
  std::string manifest_digest;            ///< DesiredState::manifest_digest it was made from
  std::vector<PlanAction> actions;        ///< every non-noop entry, in execution order
  std::vector<UnchangedContainer> noops;  ///< matched containers (listed with --verbose)
  std::vector<PlanAction> orphans;        ///< orphans NOT planned for removal (no --prune)
  std::vector<HostError> host_errors;     ///< hosts that could not be refreshed
  std::vector<std::string> warnings;      ///< e.g. registry unreachable for a digest check
  std::int64_t oldest_observation = 0;    ///< unix seconds; for --refresh=false age notes
  bool from_cache = false;                ///< planned from the state cache

  /// Number of actions of `kind`.
  int Count(ActionKind kind) const;
  /// True when apply would change something (any executable action).
  bool HasChanges() const;
  /// True when the plan cannot be applied as it is: a host could not be refreshed, or a
  /// container's image exists nowhere (any kUnknown entry).
  bool HasErrors() const;
  /// True when a wanted name is held by a container jlrec may not touch (a `!` entry).
  bool HasConflicts() const { return Count(ActionKind::kConflict) > 0; }
  /// The number of entries that adopt a container made outside jlrec (see PlanAction::adopt).
  int Adoptions() const;
};

/// Turns every adoption of `plan` into a `!` entry (a conflict whose reason says how to adopt
/// it), for an apply that was not told to adopt; returns how many.
int HoldBackAdoptions(Plan& plan);

}  // namespace jlrec
