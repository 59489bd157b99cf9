#include "providers/peak_memory.h"

#include <catch2/catch.hpp>

#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace jlrec::testing {

namespace {

// A "Name:   123 kB" line of /proc/self/status, in bytes (0 if missing).
std::size_t StatusKilobytes(const std::string& name) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind(name + ":", 0) == 0) return std::stoul(line.substr(name.size() + 1)) * 1024;
  return 0;
}

void WriteAll(int fd, const std::string& text) {
  std::size_t at = 0;
  while (at < text.size()) {
    ssize_t n = ::write(fd, text.data() + at, text.size() - at);
    if (n <= 0) return;
    at += static_cast<std::size_t>(n);
  }
}

}  // namespace

PeakGrowth MeasurePeakGrowth(const std::function<std::string()>& work) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  std::fflush(nullptr);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(fds[0]);
    // Freed memory the allocator still holds would absorb the work's allocations unseen.
    ::malloc_trim(0);
    const std::size_t before = StatusKilobytes("VmRSS");
    { std::ofstream("/proc/self/clear_refs") << "5"; }  // the peak starts again from now
    std::string outcome = work();
    const std::size_t peak = StatusKilobytes("VmHWM");
    WriteAll(fds[1], std::to_string(peak > before ? peak - before : 0) + "\n" + outcome);
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string report;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;)
    report.append(buffer, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  REQUIRE(WIFEXITED(status));
  auto newline = report.find('\n');
  REQUIRE(newline != std::string::npos);
  return PeakGrowth{std::stoul(report.substr(0, newline)), report.substr(newline + 1)};
}

std::string Mebibytes(std::size_t bytes) {
  std::ostringstream out;
  out.precision(1);
  out << std::fixed << static_cast<double>(bytes) / (1024.0 * 1024.0) << " MiB";
  return out.str();
}

}  // namespace jlrec::testing
