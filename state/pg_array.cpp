#include "state/pg_array.h"

#include <utility>

namespace jlrec {

void PgArray::Separate() {
  if (size_++ > 0) body_ += ',';
}

PgArray& PgArray::Text(std::string_view value) {
  // Always quoted: an unquoted NULL, a brace, a comma or a blank would otherwise change what
  // the element means (PostgreSQL manual, 8.15.6 "Array Input and Output Syntax").
  Separate();
  body_ += '"';
  for (char c : value) {
    if (c == '"' || c == '\\') body_ += '\\';
    body_ += c;
  }
  body_ += '"';
  return *this;
}

PgArray& PgArray::Int(std::int64_t value) {
  Separate();
  body_ += std::to_string(value);
  return *this;
}

PgArray& PgArray::Bool(bool value) {
  Separate();
  body_ += value ? 't' : 'f';
  return *this;
}

PgArray& PgBatch::Row::Next() {
  if (column_ >= batch_->column_count_) {
    // A caller's mistake: remembered (Finish reports it); the value goes to the spare array.
    if (batch_->error_.ok())
      batch_->error_ = Status::Internal("a batched row has more than " +
                                        std::to_string(batch_->column_count_) + " columns");
    return batch_->columns_.back();
  }
  return batch_->columns_[column_++];
}

PgBatch::PgBatch(PgConnection& conn, std::string insert, std::size_t columns, std::size_t max_rows)
    : conn_(&conn),
      insert_(std::move(insert)),
      column_count_(columns),
      max_rows_(max_rows > 0 ? max_rows : 1),
      columns_(columns + 1) {}

PgBatch::Row PgBatch::Add() {
  if (rows_ >= max_rows_) {
    if (error_.ok()) {
      error_ = Flush();
    } else {  // nothing more is sent: drop what waits rather than gather it all
      columns_.assign(column_count_ + 1, PgArray());
      rows_ = 0;
    }
  }
  ++rows_;
  return Row(*this);
}

Status PgBatch::Finish() {
  if (error_.ok() && rows_ > 0) error_ = Flush();
  return error_;
}

Status PgBatch::Flush() {
  PgParams params;
  for (std::size_t i = 0; i < column_count_; ++i) {
    const PgArray& column = columns_[i];
    if (column.size() != rows_)
      return Status::Internal("a batched row filled " + std::to_string(column.size()) +
                              " values of a column for " + std::to_string(rows_) + " rows");
    params.Text(column.Literal());
  }
  Status written = conn_->Run(insert_, params);
  columns_.assign(column_count_ + 1, PgArray());
  rows_ = 0;
  return written;
}

}  // namespace jlrec
