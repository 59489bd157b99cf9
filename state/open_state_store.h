// The one place a StateStore is made from a StateLocation: the CLI and serve never name a
// backend.
#pragma once

#include <memory>

#include "model/state_store.h"
#include "state/state_location.h"

namespace jlrec {

/// Opens the state at `location`: OpenSqliteStateStore or OpenPostgresStateStore.
Result<std::unique_ptr<StateStore>> OpenStateStore(const StateLocation& location);

}  // namespace jlrec
