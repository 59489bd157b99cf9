// The adopted containers, in PostgreSQL (see state/adoption_table.h for SQLite).
#pragma once

#include <string>
#include <vector>

#include "model/adoption.h"
#include "state/pg_connection.h"

namespace jlrec {

/// See StateStore::SaveAdoption.
Status PgSaveAdoption(PgConnection& conn, const std::string& project, const Adoption& adoption);
/// See StateStore::ClearAdoption.
Status PgClearAdoption(PgConnection& conn, const std::string& project, const std::string& host,
                       const std::string& container);
/// See StateStore::ListAdoptions.
Result<std::vector<Adoption>> PgListAdoptions(PgConnection& conn, const std::string& project);

}  // namespace jlrec
