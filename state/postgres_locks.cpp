// A lock is pg_try_advisory_lock(key) on a session opened for it alone (key: the first 8
// bytes of SHA-256 of the lock name), so that the server frees it when the holder's session
// ends for any reason: a release, an exit, kill -9, a crashed machine (once its TCP session
// times out). The locks row only names the holder; whether the holder is alive is never
// judged by its pid (which means nothing on another machine) but by pg_locks: the row's
// backend must still hold the advisory lock, else the row is stale.
#include "state/postgres_locks.h"

#include <unistd.h>

#include <algorithm>
#include <thread>
#include <utility>

#include "model/digest.h"
#include "model/lock_holder.h"
#include "state/local_process.h"

namespace jlrec {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kFirstPoll{10};
constexpr milliseconds kLongestPoll{200};
// A holder that died on this machine: its server backend frees the lock as soon as it sees
// the socket close, a moment after the death. Even an acquire that does not wait waits this
// long for that, rather than refusing with a dead process's name.
constexpr milliseconds kDeadHolderGrace{2000};

// The advisory lock key of lock `name`: the first 8 bytes of its SHA-256, as a bigint.
std::int64_t LockKey(const std::string& name) {
  const std::string hex = Sha256Hex("jlrec lock " + name).substr(0, 16);
  return static_cast<std::int64_t>(std::stoull(hex, nullptr, 16));
}

// A locks row, with whether the session it names still holds the advisory lock.
struct Row {
  LockInfo info;
  int backend_pid = 0;
  bool live = false;
};

// pg_locks shows a bigint advisory key as classid (high 32 bits) and objid (low 32 bits)
// with objsubid 1, in the database it was taken in.
constexpr const char* kSelectRow = R"sql(
SELECT l.owner, l.pid, l.hostname, l.since, l.backend_pid,
       EXISTS (SELECT 1 FROM pg_catalog.pg_locks p
               WHERE p.locktype = 'advisory' AND p.granted AND p.objsubid = 1
                 AND p.database = (SELECT oid FROM pg_catalog.pg_database
                                   WHERE datname = current_database())
                 AND p.classid::bigint = ((l.key >> 32) & 4294967295)
                 AND p.objid::bigint = (l.key & 4294967295)
                 AND p.pid = l.backend_pid)
FROM locks l WHERE l.name = $1
)sql";

Result<std::optional<Row>> ReadRow(PgConnection& conn, const std::string& name) {
  Result<PgResult> rows = conn.Query(kSelectRow, PgParams().Text(name));
  if (!rows.ok()) return rows.status();
  if (rows->rows() == 0) return std::optional<Row>();
  Row row;
  row.info.name = name;
  row.info.owner = rows->Text(0, 0);
  row.info.pid = rows->Int(0, 1);
  row.info.hostname = rows->Text(0, 2);
  row.info.since = rows->Int(0, 3);
  row.backend_pid = static_cast<int>(rows->Int(0, 4));
  row.live = rows->Bool(0, 5);
  return std::optional<Row>(std::move(row));
}

// Deletes exactly the row `row` read (a holder that took the lock since then has written a
// row of its own, which stays).
Status DeleteRow(PgConnection& conn, const Row& row) {
  return conn.Run(
      "DELETE FROM locks WHERE name = $1 AND backend_pid = $2 AND pid = $3 AND since = $4",
      PgParams().Text(row.info.name).Int(row.backend_pid).Int(row.info.pid).Int(row.info.since));
}

Status WriteRow(PgConnection& session, const LockInfo& info, std::int64_t key) {
  return session.Run(R"sql(
INSERT INTO locks (name, key, owner, pid, hostname, since, backend_pid)
VALUES ($1, $2, $3, $4, $5, $6, pg_backend_pid())
ON CONFLICT (name) DO UPDATE SET
  key = excluded.key, owner = excluded.owner, pid = excluded.pid, hostname = excluded.hostname,
  since = excluded.since, backend_pid = excluded.backend_pid
)sql",
                     PgParams()
                         .Text(info.name)
                         .Int(key)
                         .Text(info.owner)
                         .Int(info.pid)
                         .Text(info.hostname)
                         .Int(info.since));
}

Result<bool> TryLock(PgConnection& session, std::int64_t key) {
  Result<PgResult> taken =
      session.Query("SELECT pg_try_advisory_lock($1::bigint)", PgParams().Int(key));
  if (!taken.ok()) return taken.status();
  return taken->Bool(0, 0);
}

// Unlocks and closes `session` (closing alone would free the lock too: the unlock makes
// the release immediate even if the close lingers).
void Unlock(std::unique_ptr<PgConnection> session, std::int64_t key) {
  (void)session->Run("SELECT pg_advisory_unlock($1::bigint)", PgParams().Int(key));
}

}  // namespace

Result<std::optional<LockInfo>> PostgresLocks::Acquire(const LockInfo& info, milliseconds timeout) {
  if (info.name.empty()) return Status::InvalidArgument("a lock needs a name");
  const std::string local_host = LocalHostname();
  LockInfo wanted = info;
  if (wanted.hostname.empty()) wanted.hostname = local_host;
  if (wanted.owner.empty()) wanted.owner = LocalOwnerName();
  if (wanted.pid == 0) wanted.pid = ::getpid();
  if (wanted.since == 0) wanted.since = UnixNow();
  const std::int64_t key = LockKey(wanted.name);
  const std::string context = "taking lock " + wanted.name;

  Result<PgConnection> opened = PgConnection::Open(url_, "jlrec lock " + wanted.name);
  if (!opened.ok()) return opened.status().WithContext(context);
  auto session = std::make_unique<PgConnection>(std::move(*opened));

  const Clock::time_point start = Clock::now();
  Clock::time_point deadline = start + std::max(timeout, milliseconds(0));
  bool grace_given = false;
  milliseconds pause = kFirstPoll;
  for (;;) {
    Result<bool> taken = TryLock(*session, key);
    if (!taken.ok()) return taken.status().WithContext(context);
    if (*taken) {
      // The lock is ours: any row left is its previous holder's, who died (the server
      // freed its lock). Read before overwriting, for the caller's warning.
      Result<std::optional<Row>> previous = ReadRow(*session, wanted.name);
      Status written = previous.ok() ? WriteRow(*session, wanted, key) : previous.status();
      if (!written.ok()) {
        Unlock(std::move(session), key);
        return written.WithContext(context);
      }
      held_[wanted.name] = std::move(session);
      if (!previous->has_value()) return std::optional<LockInfo>();
      return std::optional<LockInfo>((*previous)->info);
    }

    Result<std::optional<Row>> holder = ReadRow(*query_, wanted.name);
    if (!holder.ok()) return holder.status().WithContext(context);
    const Clock::time_point now = Clock::now();
    if (now >= deadline && !grace_given && holder->has_value() && (*holder)->live &&
        (*holder)->info.hostname == local_host && ProcessIsGoneOnThisMachine((*holder)->info.pid)) {
      grace_given = true;
      deadline = std::max(deadline, now + kDeadHolderGrace);
    }
    if (now >= deadline) {
      const std::string waited =
          " (waited " +
          std::to_string(std::chrono::duration_cast<milliseconds>(now - start).count()) + " ms)";
      if (holder->has_value() && (*holder)->live)
        return Status::Conflict(DescribeLockHolder((*holder)->info) + waited +
                                "; the database frees it when that process ends");
      // Taken a moment ago by a session that has not written its row yet (or released
      // since): no name to give.
      return Status::Conflict("lock " + wanted.name + " (" + LockPurpose(wanted.name) +
                              ") is held by another database session" + waited);
    }
    std::this_thread::sleep_for(std::min<Clock::duration>(pause, deadline - now));
    pause = std::min(pause * 2, kLongestPoll);
  }
}

Status PostgresLocks::Release(const std::string& name, std::int64_t pid) {
  Result<std::optional<Row>> row = ReadRow(*query_, name);
  if (!row.ok()) return row.status().WithContext("releasing lock " + name);
  if (row->has_value() && (*row)->info.pid != pid)
    return Status::Conflict("not releasing: " + DescribeLockHolder((*row)->info) + ", not pid " +
                            std::to_string(pid));

  auto held = held_.find(name);
  if (held == held_.end()) {
    if (!row->has_value()) return Status::Ok();  // already free (e.g. force-unlocked)
    if ((*row)->live)
      return Status::Conflict("not releasing lock " + name + ": " +
                              DescribeLockHolder((*row)->info) +
                              ", on another database session (backend pid " +
                              std::to_string((*row)->backend_pid) + ")");
    Status removed = DeleteRow(*query_, **row);  // the stale row of a holder that died
    if (!removed.ok()) return removed.WithContext("releasing lock " + name);
    return Status::Ok();
  }

  // The row goes before the lock: whoever takes the lock next never sees this one's row.
  std::unique_ptr<PgConnection> session = std::move(held->second);
  held_.erase(held);
  Status removed =
      session->Run("DELETE FROM locks WHERE name = $1 AND backend_pid = pg_backend_pid()",
                   PgParams().Text(name));
  Unlock(std::move(session), LockKey(name));
  if (!removed.ok())
    return removed.WithContext("releasing lock " + name +
                               " (the lock itself is freed: its session is closed)");
  return Status::Ok();
}

Result<std::optional<LockInfo>> PostgresLocks::ForceUnlock(const std::string& name) {
  const std::string context = "removing lock " + name;
  Result<std::optional<Row>> row = ReadRow(*query_, name);
  if (!row.ok()) return row.status().WithContext(context);
  if (!row->has_value()) return std::optional<LockInfo>();
  const Row& holder = **row;

  // Held by this very store: let it go.
  auto held = held_.find(name);
  if (held != held_.end() && holder.live && holder.backend_pid == held->second->BackendPid()) {
    Status released = Release(name, holder.info.pid);
    if (!released.ok()) return released.WithContext(context);
    return std::optional<LockInfo>(holder.info);
  }
  if (holder.live) {
    const std::string backend = std::to_string(holder.backend_pid);
    return Status::Conflict(
        "refusing to remove lock " + name + " (" + DescribeLockHolder(holder.info) +
        "): its holder's database session is alive (backend pid " + backend +
        "); the server frees the lock when that process ends: stop it (on " + holder.info.hostname +
        " pid " + std::to_string(holder.info.pid) +
        "), or ask the database admin to run SELECT pg_terminate_backend(" + backend + ")");
  }
  Status removed = DeleteRow(*query_, holder);
  if (!removed.ok()) return removed.WithContext(context);
  return std::optional<LockInfo>(holder.info);
}

Result<std::optional<LockInfo>> PostgresLocks::Holder(const std::string& name) {
  Result<std::optional<Row>> row = ReadRow(*query_, name);
  if (!row.ok()) return row.status().WithContext("reading lock " + name);
  if (!row->has_value() || !(*row)->live) return std::optional<LockInfo>();
  return std::optional<LockInfo>((*row)->info);
}

}  // namespace jlrec
