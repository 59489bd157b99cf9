// The refresh cache on PostgreSQL. A refresh of 10,000 containers on 250 hosts is a few
// dozen statements in one transaction, not one round trip per row: the host rows go in
// multi-row upserts, the old container rows in one DELETE, each host's new rows in one
// multi-row INSERT. A load is one query for every host asked (hosts.snapshot, the encoded
// value), plus one for the rows of any host whose value does not decode.
#include "state/postgres_snapshot_cache.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "state/json_columns.h"
#include "state/local_process.h"
#include "state/snapshot_blob.h"

namespace jlrec {

namespace {

// PostgreSQL takes at most 65535 parameters in one statement; chunks stay well below.
constexpr std::size_t kMaxParameters = 30000;

constexpr const char* kContainerColumns =
    "project, host, position, name, id, image, image_id, state, health, jlrec_labels, labels, "
    "spec, script_digest, script_stat, created, started_at, restart_count, exit_code, "
    "observed_at";
constexpr int kContainerParameters = 18;  // every column above but project ($1, shared)

constexpr const char* kSelectContainerColumns =
    "host, name, id, image, image_id, state, health, jlrec_labels, labels, spec, script_digest, "
    "created, started_at, script_stat, restart_count, exit_code";

// "($1, $n, $n+1, ...)" for a row of `count` parameters after the shared $1 (the project).
std::string Placeholders(int& next, int count) {
  std::string row = "($1";
  for (int i = 0; i < count; ++i) row += ", $" + std::to_string(next++);
  return row + ")";
}

// `values` as a PostgreSQL array literal, for a text[] parameter: every element quoted, its
// quotes and backslashes escaped, so any text survives.
std::string TextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

Status CheckSnapshots(const std::vector<HostSnapshot>& snapshots) {
  std::set<std::string> seen;
  for (const HostSnapshot& snapshot : snapshots) {
    if (snapshot.host.empty()) return Status::InvalidArgument("a host snapshot has no host key");
    if (!seen.insert(snapshot.host).second)
      return Status::InvalidArgument("host " + snapshot.host + " appears twice in one refresh");
  }
  return Status::Ok();
}

// One host's row as a refresh writes it.
struct HostRow {
  const HostSnapshot* snapshot;
  std::int64_t at;  // when it was observed (reachable) or attempted (unreachable)
};

// Upserts `rows` (all reachable, or all unreachable) in statements of many rows each.
// Upsert, never delete and insert: deleting a host row would cascade to its containers,
// which an unreachable host keeps.
Status UpsertHosts(PgConnection& conn, const std::string& project, const std::vector<HostRow>& rows,
                   bool reachable) {
  const char* conflict =
      reachable ? " ON CONFLICT (project, host) DO UPDATE SET last_refresh_at = "
                  "excluded.last_refresh_at, last_success_at = excluded.last_success_at, "
                  "reachable = true, error = '', snapshot = excluded.snapshot"
                : " ON CONFLICT (project, host) DO UPDATE SET last_refresh_at = "
                  "excluded.last_refresh_at, reachable = false, error = excluded.error";
  const std::size_t per_statement = kMaxParameters / 3;
  for (std::size_t begin = 0; begin < rows.size(); begin += per_statement) {
    const std::size_t end = std::min(rows.size(), begin + per_statement);
    std::string sql =
        "INSERT INTO hosts (project, host, last_refresh_at, last_success_at, reachable, error, "
        "snapshot) VALUES ";
    PgParams params;
    params.Text(project);
    int next = 2;
    for (std::size_t i = begin; i < end; ++i) {
      const HostSnapshot& snapshot = *rows[i].snapshot;
      if (i > begin) sql += ", ";
      const int host = next, at = next + 1, third = next + 2;
      next += 3;
      const std::string h = "$" + std::to_string(host), t = "$" + std::to_string(at),
                        x = "$" + std::to_string(third);
      params.Text(snapshot.host).Int(rows[i].at);
      if (reachable) {
        sql += "($1, " + h + ", " + t + ", " + t + ", true, '', " + x + ")";
        params.Bytes(EncodeHostContainers(snapshot.containers));
      } else {
        sql += "($1, " + h + ", " + t + ", NULL, false, " + x + ", NULL)";
        params.Text(snapshot.error.empty() ? "unreachable" : snapshot.error);
      }
    }
    Status s = conn.Run(sql + conflict, params);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

// Inserts `containers` as the rows of `host`, observed at `observed_at`, in statements of
// many rows each (the host's rows must be gone already).
Status InsertContainers(PgConnection& conn, const std::string& project, const std::string& host,
                        const std::vector<LiveContainer>& containers, std::int64_t observed_at) {
  const std::size_t per_statement = kMaxParameters / kContainerParameters;
  for (std::size_t begin = 0; begin < containers.size(); begin += per_statement) {
    const std::size_t end = std::min(containers.size(), begin + per_statement);
    std::string sql = std::string("INSERT INTO containers (") + kContainerColumns + ") VALUES ";
    PgParams params;
    params.Text(project);
    int next = 2;
    for (std::size_t i = begin; i < end; ++i) {
      const LiveContainer& c = containers[i];
      if (i > begin) sql += ", ";
      sql += Placeholders(next, kContainerParameters);
      params.Text(host)
          .Int(static_cast<std::int64_t>(i))
          .Text(c.name)
          .Text(c.id)
          .Text(c.spec.image)
          .Text(c.image_id)
          .Text(c.state)
          .Text(c.health)
          .Text(StringMapToJson(c.jlrec_labels))
          .Text(StringMapToJson(c.spec.labels))
          .Text(SpecFieldsToJson(c.spec));
      if (c.script_digest)
        params.Text(*c.script_digest);
      else
        params.Null();
      params.Text(c.script_stat)
          .Text(c.created)
          .Text(c.started_at)
          .Int(c.restart_count)
          .Int(c.exit_code)
          .Int(observed_at);
    }
    Status s = conn.Run(sql, params);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status DeleteContainers(PgConnection& conn, const std::string& project,
                        const std::vector<std::string>& hosts) {
  if (hosts.empty()) return Status::Ok();
  return conn.Run("DELETE FROM containers WHERE project = $1 AND host = ANY($2::text[])",
                  PgParams().Text(project).Text(TextArray(hosts)));
}

// One container from a row of kSelectContainerColumns (column 0, the host, skipped).
Result<LiveContainer> ReadContainer(const PgResult& rows, int r) {
  LiveContainer c;
  c.name = rows.Text(r, 1);
  c.id = rows.Text(r, 2);
  c.spec.image = rows.Text(r, 3);
  c.image_id = rows.Text(r, 4);
  c.state = rows.Text(r, 5);
  c.health = rows.Text(r, 6);
  Result<std::map<std::string, std::string>> jlrec_labels =
      StringMapFromJson(rows.Text(r, 7), "containers.jlrec_labels");
  if (!jlrec_labels.ok()) return jlrec_labels.status();
  c.jlrec_labels = std::move(*jlrec_labels);
  Result<std::map<std::string, std::string>> labels =
      StringMapFromJson(rows.Text(r, 8), "containers.labels");
  if (!labels.ok()) return labels.status();
  c.spec.labels = std::move(*labels);
  Status spec = SpecFieldsFromJson(rows.Text(r, 9), c.spec);
  if (!spec.ok()) return spec;
  if (!rows.IsNull(r, 10)) c.script_digest = rows.Text(r, 10);
  c.created = rows.Text(r, 11);
  c.started_at = rows.Text(r, 12);
  c.script_stat = rows.Text(r, 13);
  c.restart_count = static_cast<int>(rows.Int(r, 14));
  c.exit_code = static_cast<int>(rows.Int(r, 15));
  return c;
}

// The container rows of `hosts` of `project`, by host, in snapshot order: for the hosts
// whose encoded value is missing (written before it existed) or does not decode.
Result<std::map<std::string, std::vector<LiveContainer>>> ReadContainerRows(
    PgConnection& conn, const std::string& project, const std::vector<std::string>& hosts) {
  std::map<std::string, std::vector<LiveContainer>> by_host;
  if (hosts.empty()) return by_host;
  Result<PgResult> rows = conn.Query(std::string("SELECT ") + kSelectContainerColumns +
                                         " FROM containers WHERE project = $1 AND host = "
                                         "ANY($2::text[]) ORDER BY host, position",
                                     PgParams().Text(project).Text(TextArray(hosts)));
  if (!rows.ok()) return rows.status();
  for (int r = 0; r < rows->rows(); ++r) {
    std::string host = rows->Text(r, 0);
    Result<LiveContainer> container = ReadContainer(*rows, r);
    if (!container.ok()) return container.status().WithContext("host " + host);
    by_host[host].push_back(std::move(*container));
  }
  return by_host;
}

// The containers of the encoded value in column `col` of row `r`; nullopt when there is
// none or it does not decode (the caller then reads the rows).
Result<std::optional<std::vector<LiveContainer>>> DecodedSnapshot(const PgResult& rows, int r,
                                                                  int col) {
  if (rows.IsNull(r, col)) return std::optional<std::vector<LiveContainer>>();
  Result<std::string> bytes = rows.Bytes(r, col);
  if (!bytes.ok()) return bytes.status();
  Result<std::vector<LiveContainer>> containers = DecodeHostContainers(*bytes);
  if (!containers.ok()) return std::optional<std::vector<LiveContainer>>();
  return std::optional<std::vector<LiveContainer>>(std::move(*containers));
}

}  // namespace

Status PgSaveSnapshots(PgConnection& conn, const std::string& project,
                       const std::vector<HostSnapshot>& snapshots) {
  Status valid = CheckSnapshots(snapshots);
  if (!valid.ok()) return valid;
  if (snapshots.empty()) return Status::Ok();

  const std::int64_t now = UnixNow();
  std::vector<HostRow> reachable, unreachable;
  std::vector<std::string> replaced;
  for (const HostSnapshot& snapshot : snapshots) {
    HostRow row{&snapshot, snapshot.observed_at != 0 ? snapshot.observed_at : now};
    if (snapshot.reachable) {
      reachable.push_back(row);
      replaced.push_back(snapshot.host);
    } else {
      unreachable.push_back(row);
    }
  }

  // Every error returns before Commit: the transaction's destructor rolls it back, and a
  // lost connection takes the open transaction with it. No host is ever half written.
  Result<PgTransaction> tx = PgTransaction::Begin(conn);
  if (!tx.ok()) return tx.status();
  Status s = UpsertHosts(conn, project, unreachable, /*reachable=*/false);
  if (!s.ok()) return s.WithContext("saving the refresh of the unreachable hosts");
  s = UpsertHosts(conn, project, reachable, /*reachable=*/true);
  if (!s.ok()) return s.WithContext("saving the refresh of the reachable hosts");
  s = DeleteContainers(conn, project, replaced);
  if (!s.ok()) return s.WithContext("replacing the cached containers");
  for (const HostRow& row : reachable) {
    s = InsertContainers(conn, project, row.snapshot->host, row.snapshot->containers, row.at);
    if (!s.ok()) return s.WithContext("saving the refresh of host " + row.snapshot->host);
  }
  return tx->Commit();
}

Result<std::vector<HostSnapshot>> PgLoadSnapshots(PgConnection& conn, const std::string& project,
                                                  const std::vector<std::string>& hosts) {
  std::vector<HostSnapshot> snapshots(hosts.size());
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    snapshots[i].host = hosts[i];
    snapshots[i].from_cache = true;
    snapshots[i].reachable = false;
    snapshots[i].error = "never refreshed";
  }
  if (hosts.empty()) return snapshots;

  // REPEATABLE READ: the rows read for a host whose value does not decode come from the
  // same committed state as its host row.
  Result<PgTransaction> tx = PgTransaction::Begin(conn, PgTransaction::Isolation::kRepeatableRead);
  if (!tx.ok()) return tx.status();
  Result<PgResult> rows = conn.Query(
      "SELECT host, reachable, error, COALESCE(last_success_at, 0), snapshot FROM hosts "
      "WHERE project = $1 AND host = ANY($2::text[])",
      PgParams().Text(project).Text(TextArray(hosts)));
  if (!rows.ok()) return rows.status();

  std::map<std::string, int> row_of;
  for (int r = 0; r < rows->rows(); ++r) row_of[rows->Text(r, 0)] = r;
  std::vector<std::string> from_rows;
  for (HostSnapshot& snapshot : snapshots) {
    auto found = row_of.find(snapshot.host);
    if (found == row_of.end()) continue;  // never refreshed
    const int r = found->second;
    snapshot.reachable = rows->Bool(r, 1);
    snapshot.error = rows->Text(r, 2);
    snapshot.observed_at = rows->Int(r, 3);
    Result<std::optional<std::vector<LiveContainer>>> decoded = DecodedSnapshot(*rows, r, 4);
    if (!decoded.ok()) return decoded.status().WithContext("host " + snapshot.host);
    if (decoded->has_value())
      snapshot.containers = std::move(**decoded);
    else
      from_rows.push_back(snapshot.host);
  }
  if (!from_rows.empty()) {
    Result<std::map<std::string, std::vector<LiveContainer>>> read =
        ReadContainerRows(conn, project, from_rows);
    if (!read.ok()) return read.status();
    for (HostSnapshot& snapshot : snapshots) {
      auto found = read->find(snapshot.host);
      if (found != read->end()) snapshot.containers = found->second;
    }
  }
  Status done = tx->Commit();
  if (!done.ok()) return done;
  return snapshots;
}

Result<std::vector<CachedHostRecord>> PgListCachedHosts(PgConnection& conn,
                                                        const std::string& project) {
  Result<PgResult> rows = conn.Query(R"sql(
SELECT h.host, h.reachable, h.error, h.last_refresh_at, COALESCE(h.last_success_at, 0),
       (SELECT COUNT(*) FROM containers c WHERE c.project = h.project AND c.host = h.host)
FROM hosts h WHERE h.project = $1 ORDER BY h.host COLLATE "C"
)sql",
                                     PgParams().Text(project));
  if (!rows.ok()) return rows.status();
  std::vector<CachedHostRecord> records;
  records.reserve(static_cast<std::size_t>(rows->rows()));
  for (int r = 0; r < rows->rows(); ++r) {
    CachedHostRecord record;
    record.host = rows->Text(r, 0);
    record.reachable = rows->Bool(r, 1);
    record.error = rows->Text(r, 2);
    record.last_refresh_at = rows->Int(r, 3);
    record.last_success_at = rows->Int(r, 4);
    record.container_count = rows->Int(r, 5);
    records.push_back(std::move(record));
  }
  return records;
}

Status PgWriteCachedHost(PgConnection& conn, const std::string& project,
                         const CachedHostRecord& record,
                         const std::vector<LiveContainer>& containers) {
  if (record.host.empty()) return Status::InvalidArgument("a cached host has no host key");
  PgParams params;
  params.Text(project).Text(record.host).Int(record.last_refresh_at);
  if (record.last_success_at != 0)
    params.Int(record.last_success_at);
  else
    params.Null();
  params.Bool(record.reachable).Text(record.error).Bytes(EncodeHostContainers(containers));
  Status s = conn.Run(R"sql(
INSERT INTO hosts (project, host, last_refresh_at, last_success_at, reachable, error, snapshot)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (project, host) DO UPDATE SET
  last_refresh_at = excluded.last_refresh_at, last_success_at = excluded.last_success_at,
  reachable = excluded.reachable, error = excluded.error, snapshot = excluded.snapshot
)sql",
                      params);
  if (s.ok()) s = DeleteContainers(conn, project, {record.host});
  // The rows were observed at the last success (the refresh that wrote them).
  const std::int64_t observed_at =
      record.last_success_at != 0 ? record.last_success_at : record.last_refresh_at;
  if (s.ok()) s = InsertContainers(conn, project, record.host, containers, observed_at);
  if (!s.ok()) return s.WithContext("writing the cached host " + project + "/" + record.host);
  return Status::Ok();
}

Result<std::vector<StateDump::Host>> PgReadCachedHosts(PgConnection& conn) {
  Result<PgResult> rows = conn.Query(R"sql(
SELECT project, host, reachable, error, last_refresh_at, COALESCE(last_success_at, 0), snapshot
FROM hosts ORDER BY project COLLATE "C", host COLLATE "C"
)sql");
  if (!rows.ok()) return rows.status();
  std::vector<StateDump::Host> hosts;
  hosts.reserve(static_cast<std::size_t>(rows->rows()));
  std::map<std::string, std::vector<std::string>> from_rows;  // by project
  for (int r = 0; r < rows->rows(); ++r) {
    StateDump::Host host;
    host.project = rows->Text(r, 0);
    host.record.host = rows->Text(r, 1);
    host.record.reachable = rows->Bool(r, 2);
    host.record.error = rows->Text(r, 3);
    host.record.last_refresh_at = rows->Int(r, 4);
    host.record.last_success_at = rows->Int(r, 5);
    Result<std::optional<std::vector<LiveContainer>>> decoded = DecodedSnapshot(*rows, r, 6);
    if (!decoded.ok())
      return decoded.status().WithContext("host " + host.project + "/" + host.record.host);
    if (decoded->has_value())
      host.containers = std::move(**decoded);
    else
      from_rows[host.project].push_back(host.record.host);
    hosts.push_back(std::move(host));
  }
  for (const auto& [project, names] : from_rows) {
    Result<std::map<std::string, std::vector<LiveContainer>>> read =
        ReadContainerRows(conn, project, names);
    if (!read.ok()) return read.status();
    for (StateDump::Host& host : hosts) {
      if (host.project != project) continue;
      auto found = read->find(host.record.host);
      if (found != read->end()) host.containers = std::move(found->second);
    }
  }
  for (StateDump::Host& host : hosts)
    host.record.container_count = static_cast<std::int64_t>(host.containers.size());
  return hosts;
}

}  // namespace jlrec
