#include "state/open_state_store.h"

#include "state/postgres_state_store.h"
#include "state/sqlite_state_store.h"

namespace jlrec {

Result<std::unique_ptr<StateStore>> OpenStateStore(const StateLocation& location) {
  if (location.is_postgres()) return OpenPostgresStateStore(location.target);
  return OpenSqliteStateStore(location.target);
}

}  // namespace jlrec
