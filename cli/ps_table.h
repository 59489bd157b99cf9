// What `jlrec ps` shows: one row per container of the selected groups, as a refresh just saw
// it, plus the project's containers the manifest no longer wants; as an aligned table or as
// JSON (docs/ps-json.md). Pure: the command (cli/cmd_ps.cpp) does the refresh.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "engine/plan.h"
#include "model/desired_state.h"
#include "model/live_state.h"

namespace jlrec::cli {

/// One container as `jlrec ps` lists it.
struct PsRow {
  std::string host;                 ///< host key
  std::string name;                 ///< container name
  std::vector<std::string> groups;  ///< the manifest's (an orphan: its labels')
  bool core = false;                ///< the unit's `core` flag: the group's master
  /// Docker's State.Status ("running", "exited", ...), "missing" when the host has no such
  /// container, "unknown" when the host could not be read.
  std::string state;
  /// "healthy", "unhealthy", "starting"; "" without a healthcheck or a running process
  std::string health;
  std::string image;        ///< the image it runs ("" when missing or unknown)
  std::string id;           ///< container id ("" when missing or unknown)
  std::string started_at;   ///< RFC 3339, "" if never started
  std::string finished_at;  ///< RFC 3339 of the last exit, "" if none
  int exit_code = 0;        ///< the last exit's code
  bool orphan = false;      ///< the project's, but the manifest no longer wants it
  /// Holds a wanted name but was not made by jlrec for this project (nor adopted into it).
  bool unmanaged = false;
  std::string error;  ///< why the host could not be read (state "unknown")
};

/// The rows for `selected` (manifest order) as `live` shows them (a host missing from it, or
/// unreachable, makes its containers "unknown"), then `orphans` (a plan's: the project's
/// live containers on those hosts that the manifest does not want, adopted ones included);
/// sorted by host, each host's orphans last. `adopted` holds "host/name" -> container id of
/// the containers adopted into the project (not unmanaged although unlabelled).
std::vector<PsRow> MakePsRows(const DesiredState& desired,
                              const std::vector<const DesiredContainer*>& selected,
                              const RefreshResult& live, const std::vector<PlanAction>& orphans,
                              const std::map<std::string, std::string>& adopted);

/// `seconds` in the compact form ps uses: "45s", "12m", "3h12m", "2d5h" (negative: "0s").
std::string CompactDuration(std::int64_t seconds);

/// The UPTIME column at unix time `now`: "3h12m" while running (paused too), "exited (137)
/// 2m ago" once stopped (the state's name, the last exit code, and how long ago it exited),
/// "created" when never started, "-" for a missing or unknown container.
std::string UptimeText(const PsRow& row, std::int64_t now);

/// Writes the table to `os`: a header (HOST CONTAINER GROUP ROLE STATE HEALTH IMAGE UPTIME)
/// and a row each, columns aligned on the plain text; a note after the last column marks an
/// orphan or an unmanaged container. With `color`, STATE and HEALTH are coloured (green
/// good, yellow in between, red bad) as Styles (cli/terminal_output.h).
void PrintPsTable(const std::vector<PsRow>& rows, std::int64_t now, bool color, std::ostream& os);

/// The JSON document (docs/ps-json.md) of `rows`, with `host_errors` (host -> error).
nlohmann::json PsJson(const std::string& project, const std::vector<std::string>& groups,
                      const std::vector<PsRow>& rows,
                      const std::map<std::string, std::string>& host_errors, std::int64_t now);

}  // namespace jlrec::cli
