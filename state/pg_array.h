// Many rows in one statement: each column's values travel as one array parameter
// ($1::text[], $2::bigint[], ...) that the statement unnests, so a batch of thousands of
// rows costs one round trip instead of thousands, and no value is ever parsed as SQL.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/status.h"
#include "state/pg_connection.h"

namespace jlrec {

/// The text form of a one-dimensional PostgreSQL array ("{...}"), built a value at a time,
/// for a parameter cast to text[], bigint[] or boolean[]. Text values are sent byte-exact
/// (quoted, with '"' and '\' escaped); none is ever read as NULL.
class PgArray {
 public:
  /// Appends text `value` (any bytes but NUL).
  PgArray& Text(std::string_view value);
  /// Appends integer `value`.
  PgArray& Int(std::int64_t value);
  /// Appends `value` as true/false.
  PgArray& Bool(bool value);

  /// Values appended so far.
  std::size_t size() const { return size_; }
  /// The array literal of the values appended so far.
  std::string Literal() const { return "{" + body_ + "}"; }

 private:
  void Separate();

  std::string body_;
  std::size_t size_ = 0;
};

/// Rows for one table, gathered column by column, written by `insert` (whose $1..$n are the
/// columns' arrays, e.g. "INSERT INTO t (a, b) SELECT * FROM unnest($1::text[],
/// $2::bigint[])") in statements of at most `max_rows` rows. Opens no transaction: the
/// caller's holds the statements together.
class PgBatch {
 public:
  /// One row being appended: each call fills the next column.
  class Row {
   public:
    Row& Text(std::string_view value) {
      Next().Text(value);
      return *this;
    }
    Row& Int(std::int64_t value) {
      Next().Int(value);
      return *this;
    }
    Row& Bool(bool value) {
      Next().Bool(value);
      return *this;
    }

   private:
    friend class PgBatch;
    explicit Row(PgBatch& batch) : batch_(&batch) {}
    PgArray& Next();
    PgBatch* batch_;
    std::size_t column_ = 0;
  };

  PgBatch(PgConnection& conn, std::string insert, std::size_t columns, std::size_t max_rows = 5000);

  /// Starts a row (writing the gathered ones first when `max_rows` are waiting).
  Row Add();
  /// Writes the rows still waiting; the first error of any statement (then nothing more was
  /// sent), or kInternal when a row did not fill every column exactly once.
  Status Finish();

 private:
  Status Flush();

  PgConnection* conn_;
  std::string insert_;
  std::size_t column_count_;
  std::size_t max_rows_;
  std::vector<PgArray> columns_;  // one per column, and a spare for a row's extra values
  std::size_t rows_ = 0;
  Status error_ = Status::Ok();
};

}  // namespace jlrec
