#include "serve/last_change.h"

#include <vector>

namespace jlrec::serve {

namespace {

bool ChangesHosts(const RunRecord& run, const std::string& project) {
  return run.project == project && (run.kind == "apply" || run.kind == "rollback");
}

// The newest `runs` apply and rollback runs of `project`, newest first. Its drift and refresh
// runs share the journal: when they crowd the newest rows, a longer listing is read, until it
// holds `runs` applies and rollbacks or the project's whole journal.
Result<std::vector<RunRecord>> NewestRunsOf(StateStore& store, const std::string& project,
                                            int runs) {
  constexpr int kWholeJournal = 0;  // ListRuns' "no limit"
  int limit = runs;
  for (;;) {
    auto listed = store.ListRuns(project, "", limit, 0);
    if (!listed.ok()) return listed.status();
    std::vector<RunRecord> mine;
    for (RunRecord& run : *listed)
      if (ChangesHosts(run, project) && static_cast<int>(mine.size()) < runs)
        mine.push_back(std::move(run));
    const bool whole = limit == kWholeJournal || static_cast<int>(listed->size()) < limit;
    if (static_cast<int>(mine.size()) >= runs || whole) return mine;
    limit = limit > (1 << 20) ? kWholeJournal : limit * 8;
  }
}

}  // namespace

Result<std::map<std::string, LastChange>> LastChangesOf(StateStore& store,
                                                        const std::string& project, int runs) {
  std::map<std::string, LastChange> out;
  if (runs <= 0) return out;  // the store reads <= 0 as "no limit": not what was asked
  auto newest = NewestRunsOf(store, project, runs);
  if (!newest.ok()) return newest.status();
  // Runs newest first, and within a run its latest action first: the first seen is the newest.
  for (const RunRecord& run : *newest) {
    auto actions = store.ListActions(run.id);
    if (!actions.ok()) return actions.status();
    for (auto it = actions->rbegin(); it != actions->rend(); ++it)
      out.try_emplace(it->container,
                      LastChange{it->finished_at != 0 ? it->finished_at : it->started_at, run.id,
                                 it->action, it->result});
  }
  return out;
}

}  // namespace jlrec::serve
