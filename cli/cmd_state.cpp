// `jlrec state migrate --from SRC --to DST`: copies a whole state (journal, drift history,
// failures, adoptions, refresh cache, key ids) from one state location to another, SQLite or
// PostgreSQL either way, and the state key with it, so the digests the state holds keep
// matching at the destination.
#include <sys/stat.h>

#include <filesystem>
#include <iostream>
#include <set>

#include "cli/command.h"
#include "cli/manifest_location.h"
#include "cli/run_context.h"
#include "engine/scoped_lock.h"
#include "model/lock_holder.h"
#include "model/state_dump.h"
#include "model/strings.h"
#include "state/open_state_store.h"
#include "state/state_key.h"
#include "state/state_location.h"

namespace jlrec::cli {
namespace {

constexpr const char* kUsage =
    "migrate --from SRC --to DST [--force] [--dry-run] [--to-key FILE] [options]";

struct MigrateFlags {
  std::string from, to;          ///< state locations: a file path or a postgresql:// URL
  std::string from_key, to_key;  ///< "" = where the state's key lives by default
  std::string manifest;          ///< -m: where a PostgreSQL state's key lives by default
  bool force = false;
  bool dry_run = false;
  double lock_timeout = 0;
};

// Says `message` as this command's error; returns the exit code.
int Fail(const std::string& message) {
  std::cerr << "jlrec state migrate: " << message << "\n";
  return 1;
}

// Both locations name the same state: one path (however spelled, hard links included), or
// one URL.
bool SameState(const StateLocation& a, const StateLocation& b) {
  if (a.kind != b.kind) return false;
  if (a.is_postgres()) return a.target == b.target;
  std::error_code ec;
  if (std::filesystem::weakly_canonical(a.target, ec) ==
      std::filesystem::weakly_canonical(b.target, ec))
    return true;
  return std::filesystem::equivalent(a.target, b.target, ec);
}

// The manifest whose folder a PostgreSQL state's key lives beside: -m (which must exist),
// else $JLREC_MANIFEST or ./jlrec.yaml when there is one, else "".
Result<std::string> ManifestPath(const std::string& flag) {
  Result<std::string> located = LocateManifest(flag);
  if (located.ok() || !flag.empty()) return located;
  return std::string();
}

// The key file of `location`: `flag` when given, else where the state's key lives.
Result<std::string> KeyFile(const StateLocation& location, const std::string& flag,
                            const std::string& manifest, const char* flag_name) {
  std::string file = flag;
  if (file.empty() && location.is_postgres() && manifest.empty())
    return Status::InvalidArgument(std::string("no manifest to find the key of ") +
                                   location.Display() + " beside (-m, $JLREC_MANIFEST, " +
                                   "./jlrec.yaml): name its key file with " + flag_name);
  if (file.empty()) file = DefaultStateKeyPath(location, manifest);
  return file;
}

// The key at `key_file`, nullopt when there is none.
Result<std::optional<std::string>> ReadKey(const std::string& key_file) {
  Result<std::string> key = LoadStateKeyFile(key_file);
  if (key.ok()) return std::optional<std::string>(std::move(*key));
  if (key.status().code() == Status::Code::kNotFound) return std::optional<std::string>();
  return key.status();
}

// "N things" with the plural when N != 1.
std::string Count(std::size_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string Summary(const StateDump& dump) {
  std::size_t actions = 0;
  for (const StateDump::Run& r : dump.runs) actions += r.actions.size();
  const std::vector<std::string> projects = dump.Projects();
  return Count(projects.size(), "project", "projects") +
         (projects.empty() ? "" : " (" + Join(projects, ", ") + ")") + ": " +
         Count(dump.runs.size(), "run", "runs") + ", " + Count(actions, "action", "actions") +
         ", " + Count(dump.drift_checks.size(), "drift check", "drift checks") + ", " +
         Count(dump.failures.size(), "failure", "failures") + ", " +
         Count(dump.adoptions.size(), "adoption", "adoptions") + ", " +
         Count(dump.hosts.size(), "host", "hosts");
}

// What `store` holds of `project`, in words; "" when nothing the StateStore lists.
Result<std::string> Held(StateStore& store, const std::string& project) {
  auto runs = store.ListRuns(project, "", 0, 0);
  if (!runs.ok()) return runs.status();
  auto checks = store.ListDriftChecks(project, 0, 0);
  if (!checks.ok()) return checks.status();
  auto failures = store.ListFailures(project);
  if (!failures.ok()) return failures.status();
  auto adoptions = store.ListAdoptions(project);
  if (!adoptions.ok()) return adoptions.status();
  auto hosts = store.ListCachedHosts(project);
  if (!hosts.ok()) return hosts.status();
  std::vector<std::string> parts;
  if (!runs->empty()) parts.push_back(Count(runs->size(), "run", "runs"));
  if (!checks->empty()) parts.push_back(Count(checks->size(), "drift check", "drift checks"));
  if (!failures->empty()) parts.push_back(Count(failures->size(), "failure", "failures"));
  if (!adoptions->empty()) parts.push_back(Count(adoptions->size(), "adoption", "adoptions"));
  if (!hosts->empty()) parts.push_back(Count(hosts->size(), "cached host", "cached hosts"));
  return Join(parts, ", ");
}

// What `dst` already holds of the dump's projects ("project p (3 runs); ..."), "" when
// nothing.
Result<std::string> HeldOfDump(StateStore& dst, const StateDump& dump) {
  std::vector<std::string> held;
  for (const std::string& project : dump.Projects()) {
    Result<std::string> of = Held(dst, project);
    if (!of.ok()) return of.status();
    if (!of->empty()) held.push_back("project " + project + " (" + *of + ")");
  }
  return Join(held, "; ");
}

// The source's apply and drift locks of every project of the dump it reads, taken (or, for
// a dry run, only checked free) so no apply or drift check writes the journal mid-copy.
class SourceLocks {
 public:
  SourceLocks(StateStore& store, const MigrateFlags& flags) : store_(store), flags_(flags) {}

  // Locks what `projects` names and is not locked yet; kConflict naming a holder.
  Status Cover(const std::vector<std::string>& projects) {
    for (const std::string& project : projects)
      for (const char* purpose : {"apply:", "drift:"}) {
        const std::string name = purpose + project;
        if (!names_.insert(name).second) continue;
        Status s = flags_.dry_run ? CheckFree(name) : Take(name);
        if (!s.ok()) return s;
      }
    return Status::Ok();
  }

  // True when `projects` are all covered.
  bool Covers(const std::vector<std::string>& projects) const {
    for (const std::string& project : projects)
      if (!names_.count("apply:" + project)) return false;
    return true;
  }

 private:
  Status Take(const std::string& name) {
    ScopedLock& lock = locks_.emplace_back();
    return lock.Acquire(store_, name, flags_.lock_timeout, ThisProcess());
  }
  Status CheckFree(const std::string& name) {
    auto holder = store_.LockHolder(name);
    if (!holder.ok()) return holder.status();
    if (holder->has_value()) return Status::Conflict(DescribeLockHolder(**holder));
    return Status::Ok();
  }

  StateStore& store_;
  const MigrateFlags& flags_;
  std::set<std::string> names_;
  std::vector<ScopedLock> locks_;  // declared after nothing it outlives: the store is the caller's
};

// Reads the whole source under its locks: a project that appears between the read that
// names the projects and the locks is locked and the source read again.
Result<StateDump> ExportLocked(StateStore& src, SourceLocks& locks) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    Result<StateDump> dump = src.ExportState();
    if (!dump.ok()) return dump.status();
    const std::vector<std::string> projects = dump->Projects();
    if (attempt > 0 && locks.Covers(projects)) return dump;
    Status locked = locks.Cover(projects);
    if (!locked.ok()) return locked;
  }
  return Status::Conflict("new projects kept appearing in the source while it was read");
}

// Checks the source's key against the key ids the dump carries and the destination's key
// file; returns the key to copy (nullopt: none to copy, or it is there already).
Result<std::optional<std::string>> KeyToCopy(const StateDump& dump, const std::string& from_key,
                                             const std::string& to_key) {
  Result<std::optional<std::string>> key = ReadKey(from_key);
  if (!key.ok()) return key.status();
  if (!key->has_value()) {
    if (!dump.key_ids.empty())
      return Status::NotFound("the source's state key " + from_key +
                              " is missing, and the state's digests were made under one " +
                              "(name it with --from-key FILE)");
    std::cout << "No state key at " << from_key << ": nothing to copy.\n";
    return std::optional<std::string>();
  }
  for (const StateDump::KeyId& id : dump.key_ids)
    if (StateKeyId(**key) != id.key_id)
      return Status::InvalidArgument(
          "the key " + from_key + " is not the one project " + id.project +
          "'s digests are made under (the state records another key id); name that key with " +
          "--from-key FILE");
  Result<std::optional<std::string>> there = ReadKey(to_key);
  if (!there.ok()) return there.status();
  if (!there->has_value()) return key;
  if (**there != **key)
    return Status::Conflict(to_key + " holds another state key: refusing to overwrite it (move " +
                            "it away, or name another file with --to-key FILE)");
  std::cout << "The state key is at " << to_key << " already.\n";
  return std::optional<std::string>();
}

// Writes `key` to `to_key` (mode 0600), making its folder (0700) when missing.
Status WriteKey(const std::string& key, const std::string& to_key) {
  const std::filesystem::path folder = std::filesystem::path(to_key).parent_path();
  std::error_code ec;
  if (!folder.empty() && !std::filesystem::exists(folder, ec)) {
    if (!std::filesystem::create_directories(folder, ec) && ec)
      return Status::IoError("cannot create " + folder.string() + ": " + ec.message());
    ::chmod(folder.c_str(), 0700);
  }
  Result<std::string> saved = SaveStateKeyFile(to_key, key);
  if (!saved.ok()) return saved.status();
  if (*saved != key)
    return Status::Conflict("another state key appeared at " + to_key + " meanwhile");
  return Status::Ok();
}

int Migrate(const MigrateFlags& flags) {
  if (flags.from.empty() || flags.to.empty())
    return Fail("give the source with --from and the destination with --to");
  Result<StateLocation> src_at = ParseStateLocation(flags.from);
  if (!src_at.ok()) return Fail("--from: " + src_at.status().message());
  Result<StateLocation> dst_at = ParseStateLocation(flags.to);
  if (!dst_at.ok()) return Fail("--to: " + dst_at.status().message());
  if (SameState(*src_at, *dst_at))
    return Fail("--from and --to name the same state (" + dst_at->Display() + ")");
  std::error_code ec;
  if (!src_at->is_postgres() && !std::filesystem::is_regular_file(src_at->target, ec))
    return Fail("the source state file " + src_at->target + " does not exist");
  const bool dst_exists = dst_at->is_postgres() || std::filesystem::exists(dst_at->target, ec);

  Result<std::string> manifest = ManifestPath(flags.manifest);
  if (!manifest.ok()) return Fail(manifest.status().message());
  Result<std::string> from_key = KeyFile(*src_at, flags.from_key, *manifest, "--from-key");
  if (!from_key.ok()) return Fail(from_key.status().message());
  Result<std::string> to_key = KeyFile(*dst_at, flags.to_key, *manifest, "--to-key");
  if (!to_key.ok()) return Fail(to_key.status().message());

  auto src = OpenStateStore(*src_at);
  if (!src.ok()) return Fail("state " + src_at->Display() + ": " + src.status().message());
  SourceLocks locks(**src, flags);
  Result<StateDump> dump = ExportLocked(**src, locks);
  if (!dump.ok() && dump.status().code() == Status::Code::kConflict)
    return Fail("the source is in use: " + dump.status().message() +
                " (wait for it, or pass --lock-timeout SECONDS)");
  if (!dump.ok()) return Fail("reading " + src_at->Display() + ": " + dump.status().message());

  Result<std::optional<std::string>> key = KeyToCopy(*dump, *from_key, *to_key);
  if (!key.ok()) return Fail(key.status().message());

  // A dry run never creates the destination file: a missing one holds nothing.
  std::unique_ptr<StateStore> dst;
  if (!flags.dry_run || dst_exists) {
    auto opened = OpenStateStore(*dst_at);
    if (!opened.ok()) return Fail("state " + dst_at->Display() + ": " + opened.status().message());
    dst = std::move(*opened);
    Result<std::string> held = HeldOfDump(*dst, *dump);
    if (!held.ok()) return Fail("reading " + dst_at->Display() + ": " + held.status().message());
    if (!held->empty() && !flags.force)
      return Fail(dst_at->Display() + " already holds " + *held +
                  "; --force replaces those projects' data there (other projects are kept)");
    if (!held->empty()) std::cout << "Replacing in " << dst_at->Display() << ": " << *held << "\n";
  }
  if (flags.dry_run) {
    std::cout << "Would copy " << Summary(*dump) << "\n  from " << src_at->Display() << "\n  to "
              << dst_at->Display() << "\n";
    if (key->has_value()) std::cout << "Would copy the state key to " << *to_key << "\n";
    return 0;
  }
  // The key first: a key without its state is harmless, a state without its key is not.
  if (key->has_value()) {
    if (Status s = WriteKey(**key, *to_key); !s.ok()) return Fail(s.message());
    std::cout << "Copied the state key " << *from_key << " to " << *to_key << " (mode 0600)\n";
  }
  Status imported = dst->ImportState(*dump, flags.force);
  if (imported.code() == Status::Code::kConflict)
    return Fail(imported.message() + "; --force replaces it");
  if (!imported.ok()) return Fail("writing " + dst_at->Display() + ": " + imported.message());
  std::cout << "Copied " << Summary(*dump) << "\n  from " << src_at->Display() << "\n  to "
            << dst_at->Display() << "\n";
  return 0;
}

int RunState(const std::vector<std::string>& args) {
  CommonFlags common;
  MigrateFlags flags;
  po::options_description desc("state migrate options");
  desc.add_options()("subcommand", po::value<std::vector<std::string>>(), "migrate")(
      "from", po::value(&flags.from)->value_name("SRC"),
      "the state to copy: an SQLite file or a postgresql:// URL")(
      "to", po::value(&flags.to)->value_name("DST"),
      "where to copy it: an SQLite file or a postgresql:// URL")(
      "force", po::bool_switch(&flags.force),
      "replace what DST holds of the copied projects (other projects are kept)")(
      "dry-run", po::bool_switch(&flags.dry_run), "say what would be copied; write nothing")(
      "from-key", po::value(&flags.from_key)->value_name("FILE"),
      "the source's state key (default: SRC.key; for PostgreSQL beside the manifest)")(
      "to-key", po::value(&flags.to_key)->value_name("FILE"),
      "where the destination's state key goes (default: DST.key; for PostgreSQL beside the "
      "manifest)")("lock-timeout", po::value(&flags.lock_timeout)->default_value(0),
                   "seconds to wait for an apply or drift check holding the source's locks");
  AddManifestOption(desc, &flags.manifest);
  AddLoggingOptions(desc, common);
  po::variables_map vm;
  if (auto rc = ParseCommandLine("state", kUsage, desc, "subcommand", args, vm)) return *rc;
  SetupLogging(common);
  std::vector<std::string> sub;
  if (vm.count("subcommand")) sub = vm["subcommand"].as<std::vector<std::string>>();
  if (sub != std::vector<std::string>{"migrate"}) {
    std::cerr << "jlrec state: expected the subcommand migrate (usage: jlrec state " << kUsage
              << ")\n";
    return 1;
  }
  return Migrate(flags);
}

}  // namespace

JLREC_REGISTER_COMMAND("state", "copy a whole state to another backend (state migrate)", RunState);

}  // namespace jlrec::cli
