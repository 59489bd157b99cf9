// A throwaway state file, fake hosts and the whole pipeline (a Reconciler) over them: what
// the engine's and the server's tests run plans, applies and drift checks on, without the lab.
#pragma once

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/reconciler.h"
#include "model/digest.h"
#include "state/sqlite_state_store.h"
#include "support/fake_provider.h"

namespace jlrec {

/// A SQLite state file in a fresh temporary folder (removed with it), a FakeProviderFactory
/// and a Reconciler refreshing `parallelism` hosts at once.
struct PipelineWorld {
  explicit PipelineWorld(int parallelism = 2) {
    char tmpl[] = "/tmp/jlrec-pipeline-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    auto opened = OpenSqliteStateStore(dir + "/state.db");
    REQUIRE(opened.ok());
    store = std::move(*opened);
    factory = std::make_shared<FakeProviderFactory>();
    RefreshOptions options;
    options.parallelism = parallelism;
    reconciler = std::make_unique<Reconciler>(factory, *store, options);
  }
  ~PipelineWorld() {
    reconciler.reset();
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  PipelineWorld(const PipelineWorld&) = delete;
  PipelineWorld& operator=(const PipelineWorld&) = delete;

  /// Makes image `repo`:`tag` present on `host`, its registry digest "sha256:" + the SHA-256 of
  /// "content TAG" (also its repo digest there, and present by that digest too); returns it.
  std::string SeedImage(const std::string& host, const std::string& repo, const std::string& tag) {
    const std::string ref = repo + ":" + tag;
    const std::string digest = "sha256:" + Sha256Hex("content " + tag);
    FakeProvider& h = factory->Host(host);
    h.AddImage(ref);
    h.SetRegistryDigest(ref, digest);
    h.SetLocalImageDigests(ref, {repo + "@" + digest});
    h.AddImage(repo + "@" + digest);
    return digest;
  }
  /// The plan of `groups`, refreshed or (`refresh` false) from the state cache; fails the test
  /// when it cannot be made.
  PlannedRun Plan(const DesiredState& d, std::vector<std::string> groups, bool refresh) {
    PlanRequest request;
    request.groups = std::move(groups);
    request.refresh = refresh;
    auto run = reconciler->MakePlan(d, request);
    INFO(run.status().ToString());
    REQUIRE(run.ok());
    return std::move(*run);
  }
  /// Applies `run` (a run of `kind`) as tester@here, polling every millisecond and giving a
  /// container 200 ms to be running.
  ApplyReport Apply(const DesiredState& d, PlannedRun& run, const std::string& kind = "apply") {
    ApplyRequest request;
    request.kind = kind;
    request.owner = "tester@here";
    request.options.poll_interval = std::chrono::milliseconds(1);
    request.options.running_gate_timeout = std::chrono::milliseconds(200);
    return reconciler->Apply(run.plan, d, run.providers(), &run.live(), request, nullptr);
  }

  std::string dir;
  std::unique_ptr<StateStore> store;
  std::shared_ptr<FakeProviderFactory> factory;
  std::unique_ptr<Reconciler> reconciler;
};

}  // namespace jlrec
