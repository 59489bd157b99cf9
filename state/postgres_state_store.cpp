// Placeholder until the PostgreSQL backend lands (issue 19, in progress on its branch).
#include "state/postgres_state_store.h"

namespace jlrec {

Result<std::unique_ptr<StateStore>> OpenPostgresStateStore(const std::string& url) {
  return Status::Unavailable("state " + url + ": the PostgreSQL backend is not built yet");
}

}  // namespace jlrec
