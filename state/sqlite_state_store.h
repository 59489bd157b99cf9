// The StateStore on one SQLite file (the default backend).
#pragma once

#include <memory>
#include <string>

#include "model/state_store.h"

namespace jlrec {

/// Opens (creating with mode 0600, WAL, migrating older schemas) the SQLite store at `path`;
/// creates the parent directory. A file with a newer schema is refused with a clear message.
Result<std::unique_ptr<StateStore>> OpenSqliteStateStore(const std::string& path);

}  // namespace jlrec
