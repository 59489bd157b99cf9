// What `jlrec serve` is given by its front end: how to load the manifest, open the state and
// build the pipeline (the CLI wires the real SSH + Docker providers and the SQLite store;
// tests wire the fake provider), and the settings from its flags.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "engine/reconciler.h"
#include "engine/scoped_lock.h"
#include "model/desired_state.h"
#include "model/state_store.h"
#include "model/status.h"

namespace jlrec::serve {

/// The project the server keeps, as its front end reaches it. Each function may be called
/// from any of the server's threads, concurrently: each call returns its own object.
struct ProjectAccess {
  /// Loads the manifest as it is on disk now (rendered scripts and env values included).
  /// kInvalidArgument with the diagnostics when it does not load.
  std::function<Result<DesiredState>()> load_manifest;
  /// Opens a connection to the project's state store.
  std::function<Result<std::unique_ptr<StateStore>>()> open_store;
  /// The pipeline for `desired` on `store` (providers, connection settings, registry logins).
  std::function<std::unique_ptr<Reconciler>(const DesiredState& desired, StateStore& store)>
      make_reconciler;
  /// Who the server's locks and journal runs name (user@machine, pid, machine).
  LockOwner owner;
};

/// The server's settings (from `jlrec serve`'s flags).
struct ServeOptions {
  std::string listen_host = "127.0.0.1";      ///< address to bind
  int listen_port = 8080;                     ///< 0 = any free port (tests)
  std::chrono::milliseconds interval{60000};  ///< between the starts of two drift checks
  /// While an apply holds the project's lock, the drift loop looks again this often.
  std::chrono::milliseconds lock_retry{5000};
  /// The bearer token POST /api/v1/apply needs; "" = read-only server (apply answers 403).
  std::string token;
  /// How long a read route may serve the fleet view it built before building it again from
  /// the state file (a CLI run may have written it). Drift checks, refreshes and applies of
  /// this server rebuild it at once.
  std::chrono::milliseconds view_ttl{1000};
  int apply_parallelism = 10;  ///< apply: actions at once overall
  bool drift_loop = true;      ///< false: no loop (tests that drive checks themselves)
};

}  // namespace jlrec::serve
