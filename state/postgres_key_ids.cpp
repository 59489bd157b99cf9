#include "state/postgres_key_ids.h"

namespace jlrec {

Result<std::string> PgClaimStateKeyId(PgConnection& conn, const std::string& project,
                                      const std::string& key_id) {
  if (key_id.empty()) return Status::InvalidArgument("an empty state key id cannot be recorded");
  // Two statements, race-free under READ COMMITTED: ON CONFLICT DO NOTHING waits for a
  // concurrent first claim to commit, and the SELECT (a new snapshot) then reads the winner.
  Status claimed = conn.Run(
      "INSERT INTO state_key_ids (project, key_id) VALUES ($1, $2) "
      "ON CONFLICT (project) DO NOTHING",
      PgParams().Text(project).Text(key_id));
  if (!claimed.ok()) return claimed.WithContext("recording the state key id of " + project);
  Result<PgResult> recorded =
      conn.Query("SELECT key_id FROM state_key_ids WHERE project = $1", PgParams().Text(project));
  if (!recorded.ok()) return recorded.status();
  if (recorded->rows() == 0)
    return Status::Internal("the state key id of project " + project +
                            " vanished right after it was recorded");
  return recorded->Text(0, 0);
}

Status PgForgetStateKeyId(PgConnection& conn, const std::string& project) {
  return conn.Run("DELETE FROM state_key_ids WHERE project = $1", PgParams().Text(project));
}

}  // namespace jlrec
