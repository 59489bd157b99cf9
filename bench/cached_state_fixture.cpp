// Fills a state with snapshots that exactly match a manifest (as if every container had been
// applied and refreshed), so `jlrec plan --all --refresh=false` can be timed at scale without
// hosts. Usage: cached_state_fixture MANIFEST STATE, STATE a file path or a postgresql:// URL
// (as --state takes); the key goes where jlrec looks for it without --state-key.
#include <cstdio>
#include <ctime>
#include <map>

#include "manifests/manifest_loader.h"
#include "model/container_spec.h"
#include "model/state_store.h"
#include "state/open_state_store.h"
#include "state/state_key.h"

int main(int argc, char** argv) {
  using namespace jlrec;
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s MANIFEST STATE_DB\n", argv[0]);
    return 2;
  }
  auto location = ParseStateLocation(argv[2]);
  if (!location.ok()) {
    std::fprintf(stderr, "%s\n", location.status().ToString().c_str());
    return 1;
  }
  // The state key jlrec will find (beside the state file, or for PostgreSQL beside the
  // manifest): the snapshots' script digests are keyed with it, as a refresh would have
  // recorded them.
  auto key = NewStateKey();
  if (key.ok()) key = SaveStateKeyFile(DefaultStateKeyPath(*location, argv[1]), *key);
  if (!key.ok()) {
    std::fprintf(stderr, "%s\n", key.status().ToString().c_str());
    return 1;
  }
  LoadOptions options;
  options.script_key = *key;
  auto loaded = LoadManifest(argv[1], options);
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics) std::fprintf(stderr, "%s\n", d.ToString().c_str());
    return 1;
  }
  const DesiredState& desired = *loaded.state;
  std::map<std::string, HostSnapshot> by_host;
  for (const auto& c : desired.containers) {
    HostSnapshot& h = by_host[c.host];
    h.host = c.host;
    h.reachable = true;
    h.observed_at = std::time(nullptr);
    LiveContainer l;
    l.id = "id-" + c.host + "-" + c.name;
    l.name = c.name;
    l.image_id = "sha256:bench";
    l.spec = c.spec;
    std::string groups;
    for (const auto& g : c.groups) groups += (groups.empty() ? "" : ",") + g;
    l.jlrec_labels = {{labels::kProject, desired.project},
                      {labels::kGroups, groups},
                      {labels::kUnit, c.Ref()},
                      {labels::kCore, c.core ? "true" : "false"},
                      {labels::kSpecDigest, c.spec_digest},
                      {labels::kScriptDigest, c.script_digest}};
    l.state = "running";
    l.script_digest = c.script_digest;
    h.containers.push_back(std::move(l));
  }
  std::vector<HostSnapshot> snaps;
  for (auto& [k, h] : by_host) snaps.push_back(std::move(h));
  auto store = OpenStateStore(*location);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  // The key's id, as jlrec's first run would claim it.
  auto claimed = (*store)->ClaimStateKeyId(desired.project, StateKeyId(*key));
  if (!claimed.ok() || *claimed != StateKeyId(*key)) {
    std::fprintf(stderr, "the state holds another key id for project %s\n",
                 desired.project.c_str());
    return 1;
  }
  Status s = (*store)->SaveSnapshots(desired.project, snaps);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("cached %zu containers on %zu hosts in %s\n", desired.containers.size(), snaps.size(),
              argv[2]);
  return 0;
}
