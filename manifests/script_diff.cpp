#include "manifests/script_diff.h"

#include <set>
#include <string_view>

#include "manifests/secret_redaction.h"
#include "model/text_diff.h"

namespace jlrec {

namespace {

constexpr std::size_t kContextLines = 3;

// The physical line each unit starts on (0-based), and the total after the last.
std::vector<std::size_t> LineStarts(const std::vector<ScriptUnit>& units) {
  std::vector<std::size_t> starts{0};
  for (const ScriptUnit& u : units) starts.push_back(starts.back() + u.lines);
  return starts;
}

// Adds `unit`'s shown text, a line per physical line, each after `mark`.
void AddUnit(ScriptDiffLine::Kind kind, char mark, const ScriptUnit& unit,
             std::vector<ScriptDiffLine>& out) {
  const std::string_view shown = unit.shown;
  std::size_t start = 0;
  while (start < shown.size()) {
    const std::size_t eol = shown.find('\n', start);
    const std::size_t end = eol == std::string_view::npos ? shown.size() : eol;
    out.push_back({kind, mark + std::string(shown.substr(start, end - start))});
    if (eol == std::string_view::npos) {
      out.push_back({ScriptDiffLine::Kind::kNote, "\\ No newline at end of file"});
      break;
    }
    start = eol + 1;
  }
}

}  // namespace

ScriptDiff DiffRunScript(const DesiredContainer& want, const LiveContainer& have) {
  ScriptDiff diff;
  if (want.script.empty()) {
    diff.withheld =
        "the manifest's resolution came from the state cache, which keeps no rendered /run.sh "
        "(plan without --refresh=false to see the diff)";
    return diff;
  }
  if (have.script_digest && !have.script_content) {
    diff.withheld =
        "the /run.sh on the host was not read (the state cache never keeps a script's content, "
        "which holds secrets: plan without --refresh=false to see the diff)";
    return diff;
  }
  const std::optional<std::vector<ScriptUnit>> desired = RedactedScriptUnits(want);
  if (!desired) {
    diff.withheld =
        "the manifest's /run.sh is not laid out as jlrec renders it, so its secrets cannot be "
        "located";
    return diff;
  }
  std::vector<ScriptUnit> live;
  if (have.script_content) {
    const RedactWhen hidden_on_host = [&](std::string_view name, bool exported) {
      const std::string key(name);
      return want.secret_env.count(key) > 0 || (exported && want.env.count(key) == 0);
    };
    auto units = SplitScript(*have.script_content, hidden_on_host);
    if (!units) {
      diff.withheld =
          "the /run.sh on the host has a quoted value that never ends, so where its secrets "
          "end cannot be known: it is not shown";
      return diff;
    }
    live = std::move(*units);
  }

  std::vector<std::string_view> a, b;
  for (const ScriptUnit& u : live) a.push_back(u.raw);
  for (const ScriptUnit& u : *desired) b.push_back(u.raw);
  const std::vector<DiffEdit> edits = DiffSequences(a, b);
  const std::vector<DiffHunk> hunks = GroupIntoHunks(edits, kContextLines);
  if (hunks.empty()) return diff;

  const std::string ref = want.Ref() + ":/run.sh";
  diff.lines.push_back({ScriptDiffLine::Kind::kFile,
                        "--- " + ref + (have.script_content ? " (on the host)" : " (missing)")});
  diff.lines.push_back({ScriptDiffLine::Kind::kFile, "+++ " + ref + " (from the manifest)"});
  const std::vector<std::size_t> a_line = LineStarts(live), b_line = LineStarts(*desired);
  for (const DiffHunk& h : hunks) {
    diff.lines.push_back(
        {ScriptDiffLine::Kind::kHunk,
         HunkHeader(a_line[h.a_start], a_line[h.a_start + h.a_count] - a_line[h.a_start],
                    b_line[h.b_start], b_line[h.b_start + h.b_count] - b_line[h.b_start])});
    // The hidden lines deleted in the current run of changes: an inserted one that reads
    // the same differs only in its hidden value.
    std::set<std::string_view> hidden_deleted;
    for (std::size_t k = h.first; k < h.last; ++k) {
      const DiffEdit& e = edits[k];
      switch (e.op) {
        case DiffEdit::Op::kKeep:
          hidden_deleted.clear();
          AddUnit(ScriptDiffLine::Kind::kContext, ' ', (*desired)[e.b], diff.lines);
          break;
        case DiffEdit::Op::kDelete:
          if (live[e.a].redacted) hidden_deleted.insert(live[e.a].shown);
          AddUnit(ScriptDiffLine::Kind::kDelete, '-', live[e.a], diff.lines);
          break;
        case DiffEdit::Op::kInsert: {
          const ScriptUnit& unit = (*desired)[e.b];
          AddUnit(ScriptDiffLine::Kind::kInsert, '+', unit, diff.lines);
          if (unit.redacted && hidden_deleted.count(unit.shown))
            diff.lines.push_back({ScriptDiffLine::Kind::kNote, kHiddenValueChanged});
          break;
        }
      }
    }
  }
  return diff;
}

}  // namespace jlrec
