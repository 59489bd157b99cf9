#include "state/lock_table.h"

#include <unistd.h>

#include <algorithm>
#include <thread>
#include <utility>

#include "model/lock_holder.h"
#include "model/rfc3339.h"
#include "state/local_process.h"

namespace jlrec {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kFirstPoll{10};
constexpr milliseconds kLongestPoll{200};

Result<std::optional<LockInfo>> SelectHolder(SqliteDatabase& db, const std::string& name) {
  Result<SqliteStatement> select =
      db.Prepare("SELECT owner, pid, hostname, since FROM locks WHERE name = ?1");
  if (!select.ok()) return select.status();
  select->BindText(1, name);
  Result<bool> row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<LockInfo>();
  LockInfo holder;
  holder.name = name;
  holder.owner = select->ColumnText(0);
  holder.pid = select->ColumnInt(1);
  holder.hostname = select->ColumnText(2);
  holder.since = select->ColumnInt(3);
  return std::optional<LockInfo>(std::move(holder));
}

Status WriteHolder(SqliteDatabase& db, const LockInfo& info) {
  Result<SqliteStatement> write = db.Prepare(
      "INSERT INTO locks (name, owner, pid, hostname, since) VALUES (?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, pid = excluded.pid, "
      "hostname = excluded.hostname, since = excluded.since");
  if (!write.ok()) return write.status();
  write->BindText(1, info.name)
      .BindText(2, info.owner)
      .BindInt(3, info.pid)
      .BindText(4, info.hostname)
      .BindInt(5, info.since);
  return write->Run();
}

Status DeleteLock(SqliteDatabase& db, const std::string& name) {
  Result<SqliteStatement> remove = db.Prepare("DELETE FROM locks WHERE name = ?1");
  if (!remove.ok()) return remove.status();
  remove->BindText(1, name);
  return remove->Run();
}

// The outcome of one attempt: taken (with the dead holder replaced, if any) or still held.
struct Attempt {
  bool taken = false;
  std::optional<LockInfo> replaced;
  std::optional<LockInfo> holder;
};

Result<Attempt> TryOnce(SqliteDatabase& db, const LockInfo& info, const std::string& local_host) {
  Result<SqliteTransaction> tx = SqliteTransaction::Begin(db, SqliteTransaction::Mode::kWrite);
  if (!tx.ok()) return tx.status();
  Result<std::optional<LockInfo>> holder = SelectHolder(db, info.name);
  if (!holder.ok()) return holder.status();
  Attempt attempt;
  if (holder->has_value()) {
    const LockInfo& current = **holder;
    // Only a process of this machine can be checked; elsewhere the holder counts as alive.
    bool dead = current.hostname == local_host && ProcessIsGoneOnThisMachine(current.pid);
    if (!dead) {
      attempt.holder = current;
      return attempt;  // the transaction rolls back: nothing was written
    }
    attempt.replaced = current;
  }
  Status written = WriteHolder(db, info);
  if (written.ok()) written = tx->Commit();
  if (!written.ok()) return written;
  attempt.taken = true;
  return attempt;
}

}  // namespace

Result<std::optional<LockInfo>> AcquireLockIn(SqliteDatabase& db, const LockInfo& info,
                                              milliseconds timeout) {
  if (info.name.empty()) return Status::InvalidArgument("a lock needs a name");
  const std::string local_host = LocalHostname();
  LockInfo wanted = info;
  if (wanted.hostname.empty()) wanted.hostname = local_host;
  if (wanted.owner.empty()) wanted.owner = LocalOwnerName();
  if (wanted.pid == 0) wanted.pid = ::getpid();
  if (wanted.since == 0) wanted.since = UnixNow();

  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + std::max(timeout, milliseconds(0));
  milliseconds pause = kFirstPoll;
  for (;;) {
    Result<Attempt> attempt = TryOnce(db, wanted, local_host);
    if (!attempt.ok()) return attempt.status().WithContext("taking lock " + wanted.name);
    if (attempt->taken) return std::move(attempt->replaced);

    const Clock::time_point now = Clock::now();
    if (now >= deadline) {
      auto waited = std::chrono::duration_cast<milliseconds>(now - start).count();
      return Status::Conflict(DescribeLockHolder(*attempt->holder) + " (waited " +
                              std::to_string(waited) +
                              " ms); if that process is gone, `jlrec unlock --force` removes it");
    }
    std::this_thread::sleep_for(std::min<Clock::duration>(pause, deadline - now));
    pause = std::min(pause * 2, kLongestPoll);
  }
}

Status ReleaseLockIn(SqliteDatabase& db, const std::string& name, std::int64_t pid) {
  Result<SqliteTransaction> tx = SqliteTransaction::Begin(db, SqliteTransaction::Mode::kWrite);
  if (!tx.ok()) return tx.status();
  Result<std::optional<LockInfo>> holder = SelectHolder(db, name);
  if (!holder.ok()) return holder.status();
  if (!holder->has_value()) return Status::Ok();  // already free (e.g. force-unlocked)
  if ((*holder)->pid != pid)
    return Status::Conflict("not releasing: " + DescribeLockHolder(**holder) + ", not pid " +
                            std::to_string(pid));
  Status removed = DeleteLock(db, name);
  if (!removed.ok()) return removed.WithContext("releasing lock " + name);
  return tx->Commit();
}

Result<std::optional<LockInfo>> ForceUnlockIn(SqliteDatabase& db, const std::string& name) {
  Result<SqliteTransaction> tx = SqliteTransaction::Begin(db, SqliteTransaction::Mode::kWrite);
  if (!tx.ok()) return tx.status();
  Result<std::optional<LockInfo>> holder = SelectHolder(db, name);
  if (!holder.ok()) return holder.status();
  if (!holder->has_value()) return holder;
  Status removed = DeleteLock(db, name);
  if (removed.ok()) removed = tx->Commit();
  if (!removed.ok()) return removed.WithContext("removing lock " + name);
  return holder;
}

Result<std::optional<LockInfo>> LockHolderIn(SqliteDatabase& db, const std::string& name) {
  return SelectHolder(db, name);
}

}  // namespace jlrec
