// Everything a state holds that is worth carrying to another state backend (`jlrec state
// migrate`): the journal with its actions and release records, the drift history, the failed
// actions not yet redone, the adoptions and the refresh cache. Not the locks (they belong to
// live processes) nor the resolved-manifest cache (the next load rebuilds it).
#pragma once

#include <string>
#include <vector>

#include "model/state_store.h"

namespace jlrec {

/// A whole state, as StateStore::ExportState reads it and StateStore::ImportState writes it.
struct StateDump {
  /// One journal run with what belongs to it.
  struct Run {
    RunRecord run;                           ///< id as in the source
    std::vector<ActionRecord> actions;       ///< in insertion order, ids as in the source
    std::vector<ReleasedContainer> release;  ///< its release record, in recorded order
  };
  /// One host of the refresh cache.
  struct Host {
    std::string project;
    CachedHostRecord record;                ///< times, reachability and error as cached
    std::vector<LiveContainer> containers;  ///< its cached containers, in snapshot order
  };
  /// A failed action not yet redone, with its project.
  struct Failure {
    std::string project;
    ActionFailure failure;
  };
  /// An adopted container, with its project.
  struct Adopted {
    std::string project;
    Adoption adoption;
  };
  /// A state key id a project's digests are made under (see StateStore::ClaimStateKeyId).
  struct KeyId {
    std::string project;
    std::string key_id;
  };

  std::vector<Run> runs;                       ///< oldest first
  std::vector<DriftCheckRecord> drift_checks;  ///< oldest first, each with its project
  std::vector<Failure> failures;               ///< sorted by project, host, container
  std::vector<Adopted> adoptions;              ///< sorted by project, host, container
  std::vector<Host> hosts;                     ///< sorted by project, host
  std::vector<KeyId> key_ids;                  ///< sorted by project

  /// The projects anything in the dump belongs to, sorted, each once.
  std::vector<std::string> Projects() const;
};

}  // namespace jlrec
