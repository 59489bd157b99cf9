#include "cli/stop_signals.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <csignal>

#include "cli/exec_pump.h"

namespace jlrec::cli {

namespace {

// Lock-free, so that the handlers may touch them.
std::atomic<int> g_stop_signal{0};
std::atomic<int> g_wake_fd{-1};
static_assert(std::atomic<int>::is_always_lock_free);

struct sigaction g_previous[4];
constexpr int kStopSignals[] = {SIGINT, SIGTERM, SIGHUP};

extern "C" void OnStopSignal(int signal) {
  int expected = 0;
  g_stop_signal.compare_exchange_strong(expected, signal);  // the first one decides the code
  const int fd = g_wake_fd.load();
  const char event = kWakeStop;
  if (fd >= 0) (void)!::write(fd, &event, 1);  // non-blocking: a full pipe already wakes
}

extern "C" void OnResizeSignal(int) {
  const int fd = g_wake_fd.load();
  const char event = kWakeResize;
  if (fd >= 0) (void)!::write(fd, &event, 1);
}

void Install(int signal, void (*handler)(int), struct sigaction* previous) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(signal, &action, previous);
}

}  // namespace

StopSignals::StopSignals(bool watch_resize) : watch_resize_(watch_resize) {
  g_stop_signal.store(0);
  if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) wake_[0] = wake_[1] = -1;
  // The read end blocks: the pump reads it only when poll says a byte is there.
  if (wake_[0] >= 0) ::fcntl(wake_[0], F_SETFL, 0);
  g_wake_fd.store(wake_[1]);
  for (int i = 0; i < 3; ++i) Install(kStopSignals[i], OnStopSignal, &g_previous[i]);
  if (watch_resize_) Install(SIGWINCH, OnResizeSignal, &g_previous[3]);
}

StopSignals::~StopSignals() {
  for (int i = 0; i < 3; ++i) sigaction(kStopSignals[i], &g_previous[i], nullptr);
  if (watch_resize_) sigaction(SIGWINCH, &g_previous[3], nullptr);
  g_wake_fd.store(-1);
  for (int fd : wake_)
    if (fd >= 0) ::close(fd);
}

bool StopSignals::Stopped() { return g_stop_signal.load() != 0; }

int StopSignals::ExitCode() {
  const int signal = g_stop_signal.load();
  return signal == 0 ? 0 : 128 + signal;
}

}  // namespace jlrec::cli
