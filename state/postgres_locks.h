// jlrec's locks on PostgreSQL: session-level advisory locks, each held on a connection of its
// own, so that the server releases a lock the moment its holder's session ends (a killed
// jlrec, a crashed machine: no stale lock, no takeover), across every machine that shares
// the database. The locks table only names the holder for messages.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "model/state_store.h"
#include "state/pg_connection.h"

namespace jlrec {

/// The locks one StateStore holds. Not thread-safe (one thread at a time, as the store).
class PostgresLocks {
 public:
  /// Locks on the database at `url`; `query` is the store's own session, for reads.
  PostgresLocks(std::string url, PgConnection& query) : url_(std::move(url)), query_(&query) {}

  /// See StateStore::AcquireLock: tries pg_try_advisory_lock on a new session until
  /// `timeout`, polling; then records the holder. Never takes a lock over: the returned
  /// optional holds the previous holder when its row was stale (it died; the server had
  /// released its lock), for a warning. kConflict with DescribeLockHolder when it stays held.
  Result<std::optional<LockInfo>> Acquire(const LockInfo& info, std::chrono::milliseconds timeout);
  /// See StateStore::ReleaseLock: unlocks, deletes the row and closes the lock's session.
  Status Release(const std::string& name, std::int64_t pid);
  /// See StateStore::ForceUnlock: removes a stale holder row; kConflict (naming the holder
  /// and its server backend pid) while the holder's session is alive: the server frees the
  /// lock when that process ends.
  Result<std::optional<LockInfo>> ForceUnlock(const std::string& name);
  /// See StateStore::LockHolder: the holder while its session holds the lock; nullopt for a
  /// stale row.
  Result<std::optional<LockInfo>> Holder(const std::string& name);

 private:
  std::string url_;
  PgConnection* query_;
  std::map<std::string, std::unique_ptr<PgConnection>> held_;  // by lock name
};

}  // namespace jlrec
