// The containers made outside jlrec that an apply adopted (engine/adoption.h), one per
// container of a project: Docker labels cannot be added to a running container, so this row is
// what makes it managed.
#pragma once

#include <string>
#include <vector>

#include "model/adoption.h"
#include "model/status.h"
#include "state/sqlite_db.h"

namespace jlrec {

/// See StateStore::SaveAdoption.
Status SaveAdoptionIn(SqliteDatabase& db, const std::string& project, const Adoption& adoption);

/// See StateStore::ClearAdoption.
Status ClearAdoptionIn(SqliteDatabase& db, const std::string& project, const std::string& host,
                       const std::string& container);

/// See StateStore::ListAdoptions (sorted bytewise by host, then container).
Result<std::vector<Adoption>> ListAdoptionsIn(SqliteDatabase& db, const std::string& project);

}  // namespace jlrec
