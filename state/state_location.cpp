#include "state/state_location.h"

#include <libpq-fe.h>

#include <memory>

namespace jlrec {

namespace {

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// libpq's own parser decides what the URL means, so a password written in any form it
// accepts (user:secret@, ?password=, percent-encoded) is found.
Status CheckPostgresUrl(const std::string& url) {
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
      PQconninfoParse(url.c_str(), &error), &PQconninfoFree);
  if (!options) {
    std::string why = error ? error : "out of memory";
    PQfreemem(error);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    // libpq quotes the URL back in some messages, and a password in it would be shown.
    return Status::InvalidArgument("the state URL is not a valid PostgreSQL connection URI");
  }
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (std::string(o->keyword) == "password" && o->val != nullptr && *o->val != '\0')
      return Status::InvalidArgument(
          "the state URL holds a password: it would be shown wherever the URL is (ps, logs, "
          "shell history, the manifest). Leave it out and give it as for every PostgreSQL "
          "client: PGPASSWORD, ~/.pgpass or PGPASSFILE");
  }
  return Status::Ok();
}

}  // namespace

Result<StateLocation> ParseStateLocation(const std::string& value) {
  if (value.empty()) return Status::InvalidArgument("the state location is empty");
  StateLocation location;
  location.target = value;
  if (StartsWith(value, "postgresql://") || StartsWith(value, "postgres://")) {
    Status checked = CheckPostgresUrl(value);
    if (!checked.ok()) return checked;
    location.kind = StateLocation::Kind::kPostgres;
  }
  return location;
}

}  // namespace jlrec
