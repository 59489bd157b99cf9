// libpq, used the plain way: one synchronous statement at a time, parameters always sent
// apart from the SQL (PQexecParams), results in text format except bytea decoded here.
#include "state/pg_connection.h"

#include <cstdlib>
#include <utility>

namespace jlrec {

namespace {

// The server's SQLSTATE classes and codes jlrec treats apart (PostgreSQL manual, appendix A).
bool IsConnectionLoss(const std::string& sqlstate) {
  return sqlstate.rfind("08", 0) == 0 ||  // connection exception
         sqlstate == "57P01" ||           // admin_shutdown (the server is stopping)
         sqlstate == "57P02" ||           // crash_shutdown
         sqlstate == "57P03";             // cannot_connect_now (starting up)
}

std::string Trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// The length of the valid UTF-8 sequence at the start of `s` (0: none), as PostgreSQL
// checks it: no overlong forms, no surrogates, nothing above U+10FFFF, and no NUL.
std::size_t ValidSequence(std::string_view s) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto cont = [&](std::size_t i, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return i < s.size() && byte(i) >= lo && byte(i) <= hi;
  };
  const unsigned char b = byte(0);
  if (b == 0) return 0;
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) return cont(1) ? 2 : 0;
  if (b == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if (b == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
  if (b >= 0xE1 && b <= 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (b == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b >= 0xF1 && b <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

// `value` as the server accepts text: each byte that is not part of valid UTF-8 (a NUL
// included, which libpq would take for the end of the value) becomes U+FFFD. Free text
// from hosts (an error, a failure reason) may hold any bytes; refusing it would fail the
// whole refresh or apply record it belongs to. Valid text, nearly all of it, is unchanged.
std::string ValidText(std::string_view value) {
  std::string out;
  std::size_t copied = 0;  // value[0, copied) is in `out` already (once a byte was replaced)
  bool replaced = false;
  for (std::size_t i = 0; i < value.size();) {
    const std::size_t n = ValidSequence(value.substr(i));
    if (n > 0) {
      i += n;
      continue;
    }
    out.append(value.substr(copied, i - copied)).append("\xEF\xBF\xBD");
    copied = ++i;
    replaced = true;
  }
  if (!replaced) return std::string(value);
  return out.append(value.substr(copied));
}

// Notices ("schema already exists, skipping") are not for the operator.
void IgnoreNotice(void*, const char*) {}

}  // namespace

PgParams& PgParams::Text(std::string_view value) {
  values_.emplace_back(ValidText(value));
  formats_.push_back(0);
  return *this;
}

PgParams& PgParams::Int(std::int64_t value) { return Text(std::to_string(value)); }

PgParams& PgParams::Bool(bool value) { return Text(value ? "true" : "false"); }

PgParams& PgParams::Bytes(std::string_view value) {
  values_.emplace_back(std::string(value));
  formats_.push_back(1);
  return *this;
}

PgParams& PgParams::Null() {
  values_.emplace_back(std::nullopt);
  formats_.push_back(0);
  return *this;
}

std::string PgResult::Text(int row, int col) const {
  const char* value = PQgetvalue(result_.get(), row, col);
  return std::string(value, static_cast<std::size_t>(PQgetlength(result_.get(), row, col)));
}

std::int64_t PgResult::Int(int row, int col) const {
  if (IsNull(row, col)) return 0;
  return std::strtoll(PQgetvalue(result_.get(), row, col), nullptr, 10);
}

bool PgResult::Bool(int row, int col) const {
  return !IsNull(row, col) && PQgetvalue(result_.get(), row, col)[0] == 't';
}

Result<std::string> PgResult::Bytes(int row, int col) const {
  if (IsNull(row, col)) return std::string();
  std::size_t length = 0;
  unsigned char* bytes = PQunescapeBytea(
      reinterpret_cast<const unsigned char*>(PQgetvalue(result_.get(), row, col)), &length);
  if (bytes == nullptr)
    return Status::IoError("a bytea value of the state database does not decode");
  std::string out(reinterpret_cast<const char*>(bytes), length);
  PQfreemem(bytes);
  return out;
}

std::int64_t PgResult::Affected() const {
  const char* tuples = PQcmdTuples(result_.get());
  return tuples && *tuples ? std::strtoll(tuples, nullptr, 10) : 0;
}

Result<PgConnection> PgConnection::Open(const std::string& url,
                                        const std::string& application_name) {
  // Keywords before "dbname" are defaults the URL may override (libpq processes them in
  // order): a URL's own connect_timeout or application_name wins.
  const char* keywords[] = {"application_name", "connect_timeout", "dbname", nullptr};
  const char* values[] = {application_name.c_str(), "10", url.c_str(), nullptr};
  PGconn* raw = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (raw == nullptr) return Status::Internal("libpq could not allocate a connection");
  PgConnection conn(raw, url);
  if (PQstatus(raw) != CONNECTION_OK)
    return Status::Unavailable("cannot connect to the state database " + url + ": " +
                               Trimmed(PQerrorMessage(raw)));
  Status prepared = conn.Prepare();
  if (!prepared.ok()) return prepared;
  return conn;
}

Status PgConnection::Prepare() {
  PQsetNoticeProcessor(conn_.get(), &IgnoreNotice, nullptr);
  // jlrec's tables live in their own schema; until the first migration creates it the path
  // names a schema that does not exist, which PostgreSQL allows.
  return Exec(
      "SET search_path TO jlrec; SET client_min_messages TO warning; SET client_encoding TO "
      "'UTF8'");
}

Status PgConnection::ErrorOf(const PGresult* result, std::string_view sql) const {
  (void)sql;  // statements carry no values (parameters travel apart), but are long: not shown
  if (result == nullptr || PQstatus(conn_.get()) == CONNECTION_BAD)
    return Status::Unavailable("lost the connection to the state database " + url_ + ": " +
                               Trimmed(PQerrorMessage(conn_.get())));
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const std::string sqlstate = state ? state : "";
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  const std::string message = primary ? primary : Trimmed(PQresultErrorMessage(result));
  const std::string where = " (SQLSTATE " + sqlstate + ") [" + url_ + "]";
  if (IsConnectionLoss(sqlstate))
    return Status::Unavailable("the state database " + url_ + " went away: " + message +
                               " (SQLSTATE " + sqlstate + ")");
  if (sqlstate.rfind("23", 0) == 0) return Status::InvalidArgument(message + where);
  if (sqlstate == "40001" || sqlstate == "40P01") return Status::Conflict(message + where);
  if (sqlstate == "55P03" || sqlstate == "57014") return Status::Timeout(message + where);
  if (sqlstate == "53100")
    return Status::IoError("the state database server is out of disk space: " + message + where);
  if (sqlstate == "42501")
    return Status::IoError("the state database role lacks a privilege jlrec needs: " + message +
                           where);
  return Status::IoError(message + where);
}

Status PgConnection::Exec(const std::string& sql) {
  PgResult result(PQexec(conn_.get(), sql.c_str()));
  ExecStatusType status = PQresultStatus(result.raw_for_status());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return Status::Ok();
  return ErrorOf(result.raw_for_status(), sql);
}

Result<PgResult> PgConnection::Query(const std::string& sql, const PgParams& params) {
  std::vector<const char*> values;
  std::vector<int> lengths;
  values.reserve(params.values_.size());
  for (const auto& v : params.values_) {
    values.push_back(v ? v->data() : nullptr);
    lengths.push_back(v ? static_cast<int>(v->size()) : 0);
  }
  PgResult result(PQexecParams(conn_.get(), sql.c_str(), params.size(), nullptr, values.data(),
                               lengths.data(), params.formats_.data(), /*resultFormat=*/0));
  ExecStatusType status = PQresultStatus(result.raw_for_status());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  return ErrorOf(result.raw_for_status(), sql);
}

Status PgConnection::Run(const std::string& sql, const PgParams& params) {
  return Query(sql, params).status();
}

Status PgConnection::EnsureConnected() {
  if (PQstatus(conn_.get()) == CONNECTION_OK) return Status::Ok();
  if (InTransaction())
    return Status::Unavailable("lost the connection to the state database " + url_ +
                               " inside a transaction");
  PQreset(conn_.get());
  if (PQstatus(conn_.get()) != CONNECTION_OK)
    return Status::Unavailable("cannot reconnect to the state database " + url_ + ": " +
                               Trimmed(PQerrorMessage(conn_.get())));
  return Prepare();
}

bool PgConnection::InTransaction() const {
  const PGTransactionStatusType t = PQtransactionStatus(conn_.get());
  return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

Result<PgTransaction> PgTransaction::Begin(PgConnection& conn, Isolation isolation) {
  Status begun =
      conn.Exec(isolation == Isolation::kRepeatableRead ? "BEGIN ISOLATION LEVEL REPEATABLE READ"
                                                        : "BEGIN ISOLATION LEVEL READ COMMITTED");
  if (!begun.ok()) return begun;
  return PgTransaction(&conn);
}

PgTransaction::PgTransaction(PgTransaction&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)) {}

PgTransaction::~PgTransaction() {
  if (conn_ != nullptr && conn_->InTransaction()) (void)conn_->Exec("ROLLBACK");
}

Status PgTransaction::Commit() {
  PgConnection* conn = std::exchange(conn_, nullptr);
  if (conn == nullptr) return Status::Internal("committing a finished transaction");
  // COMMIT of a failed transaction "succeeds" as a rollback: never report that as saved.
  if (PQtransactionStatus(conn->handle_for_status()) == PQTRANS_INERROR) {
    (void)conn->Exec("ROLLBACK");
    return Status::Internal("committing a transaction whose statement failed");
  }
  return conn->Exec("COMMIT");
}

}  // namespace jlrec
