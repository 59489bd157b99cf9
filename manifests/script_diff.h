// A container's /run.sh change as a plan shows it: a unified diff of the script on the host
// and the one the manifest renders, with secret values hidden by their position on both
// sides (manifests/secret_redaction.h), never searched for.
#pragma once

#include <string>
#include <vector>

#include "model/desired_state.h"
#include "model/live_state.h"

namespace jlrec {

/// One printed line of a /run.sh diff.
struct ScriptDiffLine {
  enum class Kind {
    kFile,     ///< "--- ..." or "+++ ..."
    kHunk,     ///< "@@ -A,N +B,M @@"
    kContext,  ///< " ..." a line both sides have
    kDelete,   ///< "-..." only on the host
    kInsert,   ///< "+..." only in the manifest
    kNote,     ///< "\ ..." about the line above (no newline at end of file, a hidden change)
  };
  Kind kind = Kind::kContext;
  std::string text;  ///< the line as printed, without its '\n'
  bool operator==(const ScriptDiffLine&) const = default;
};

/// What a plan shows of a /run.sh change.
struct ScriptDiff {
  std::vector<ScriptDiffLine> lines;  ///< the diff; empty when withheld or when equal
  std::string withheld;               ///< why no diff is shown; "" when it is
};

/// What a note under a changed line whose only difference is a hidden value says.
inline constexpr const char* kHiddenValueChanged = "\\ sensitive value changed (neither is shown)";

/// The unified diff (3 lines of context, line numbers of the real files) of `have`'s /run.sh
/// (have.script_content; none at all when have.script_digest is unset) and `want.script`.
/// Hidden: on the manifest's side the value of each secret_env name, by the place it was
/// rendered (RedactedScriptUnits); on the host's side every assignment of a secret name, and
/// every export of a name the manifest does not set (it may be an old secret) (SplitScript).
/// A line whose only difference is in a hidden value shows as changed, with neither value,
/// followed by kHiddenValueChanged. Withheld, saying why, when the host's script was not
/// read (a plan from the state cache), the manifest's was not rendered, or either cannot be
/// cut so that every secret is known to be hidden.
ScriptDiff DiffRunScript(const DesiredContainer& want, const LiveContainer& have);

}  // namespace jlrec
