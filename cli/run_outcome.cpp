#include "cli/run_outcome.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "model/mutex.h"

namespace jlrec::cli {

namespace {

// The run's outcome so far. Commands record from their main thread; the lock only keeps a
// stray call from another thread (apply's executor) from tearing it.
struct Outcome {
  Mutex mu;
  std::string command GUARDED_BY(mu);
  std::string project GUARDED_BY(mu);
  std::vector<std::pair<std::string, std::string>> fields GUARDED_BY(mu);
  std::chrono::steady_clock::time_point started GUARDED_BY(mu) = std::chrono::steady_clock::now();
  bool logged GUARDED_BY(mu) = false;
};

Outcome& TheOutcome() {
  static Outcome outcome;
  return outcome;
}

// A value as it is when it reads as one token, else as a JSON string.
std::string Quoted(const std::string& value) {
  bool plain = !value.empty();
  for (char c : value)
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) plain = false;
  if (plain) return value;
  return nlohmann::json(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Head(const Outcome& o) REQUIRES(o.mu) {
  return "outcome: " + o.command + (o.project.empty() ? "" : " " + o.project) + ":";
}

std::string Fields(const Outcome& o) REQUIRES(o.mu) {
  std::string text;
  for (const auto& [key, value] : o.fields) text += " " + key + "=" + Quoted(value);
  return text;
}

// SetupLogging names the logger it installs; before it (or without it) the default logger
// would print on stdout.
bool LoggingIsSetUp() { return spdlog::default_logger()->name() == "jlrec"; }

}  // namespace

void BeginRunOutcome(const std::string& command) {
  Outcome& o = TheOutcome();
  MutexLock hold(o.mu);
  o.command = command;
  o.started = std::chrono::steady_clock::now();
}

void SetOutcomeProject(const std::string& project) {
  Outcome& o = TheOutcome();
  MutexLock hold(o.mu);
  o.project = project;
}

void AddOutcome(const std::string& key, const std::string& value) {
  Outcome& o = TheOutcome();
  MutexLock hold(o.mu);
  for (auto& [k, v] : o.fields)
    if (k == key) {
      v = value;
      return;
    }
  o.fields.emplace_back(key, value);
}

void LogRunOutcome(int exit_code) {
  Outcome& o = TheOutcome();
  MutexLock hold(o.mu);
  if (o.logged || o.command.empty() || !LoggingIsSetUp()) return;
  o.logged = true;
  char seconds[32];
  std::snprintf(
      seconds, sizeof seconds, "%.2f",
      std::chrono::duration<double>(std::chrono::steady_clock::now() - o.started).count());
  spdlog::info("{}{} exit={} seconds={}", Head(o), Fields(o), exit_code, seconds);
  spdlog::default_logger()->flush();
}

void LogOutcomeEvent(const std::string& event) {
  Outcome& o = TheOutcome();
  MutexLock hold(o.mu);
  if (o.command.empty() || !LoggingIsSetUp()) return;
  spdlog::info("{} {}{}", Head(o), event, Fields(o));
}

}  // namespace jlrec::cli
