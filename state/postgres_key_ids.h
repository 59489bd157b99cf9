// The id of the state key each project's digests are made under, in PostgreSQL.
#pragma once

#include <string>

#include "state/pg_connection.h"

namespace jlrec {

/// See StateStore::ClaimStateKeyId (race-free: two first claims at once record one id).
Result<std::string> PgClaimStateKeyId(PgConnection& conn, const std::string& project,
                                      const std::string& key_id);

/// See StateStore::ForgetStateKeyId.
Status PgForgetStateKeyId(PgConnection& conn, const std::string& project);

}  // namespace jlrec
