// Timing of the refresh cache at fleet scale. Hidden ([.bench]): run it explicitly with
// `test_state "[.bench]"`; it prints figures and asserts only correctness, never speed.
#include <catch2/catch.hpp>
#include <chrono>
#include <iostream>

#include "state/state_test_support.h"

namespace jlrec {
namespace {

double MillisecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

TEST_CASE("saving and loading 10,000 containers on 250 hosts", "[state][.bench]") {
  constexpr int kHosts = 250;
  constexpr int kPerHost = 40;
  test::TempDir dir;
  auto store = test::OpenStoreOrFail(dir.File("state.db"));

  std::vector<HostSnapshot> snapshots;
  std::vector<std::string> hosts;
  for (int h = 0; h < kHosts; ++h) {
    hosts.push_back("host" + std::to_string(h));
    std::vector<LiveContainer> containers;
    for (int c = 0; c < kPerHost; ++c)
      containers.push_back(test::SampleContainer("c" + std::to_string(c), h + c));
    snapshots.push_back(test::ReachableSnapshot(hosts.back(), 1700000000, std::move(containers)));
  }

  auto start = std::chrono::steady_clock::now();
  REQUIRE(store->SaveSnapshots("demo", snapshots).ok());
  const double first_save = MillisecondsSince(start);

  start = std::chrono::steady_clock::now();
  REQUIRE(store->SaveSnapshots("demo", snapshots).ok());
  const double replace_save = MillisecondsSince(start);

  start = std::chrono::steady_clock::now();
  auto loaded = store->LoadSnapshots("demo", hosts);
  const double load = MillisecondsSince(start);
  REQUIRE(loaded.ok());
  std::size_t total = 0;
  for (const HostSnapshot& h : *loaded) total += h.containers.size();
  CHECK(total == static_cast<std::size_t>(kHosts * kPerHost));

  std::cout << "state bench: " << total << " containers on " << kHosts << " hosts: first save "
            << first_save << " ms, replacing save " << replace_save << " ms, load " << load
            << " ms\n";
}

}  // namespace
}  // namespace jlrec
