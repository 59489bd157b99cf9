#include "providers/credential_helper.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/registry_host.h"
#include "providers/deadline.h"

extern char** environ;

namespace jlrec {

namespace {

// What docker-credential-helpers prints (and the docker CLI recognises) for "no login".
constexpr const char* kNotFoundMessage = "credentials not found in native keychain";
// The Username a helper answers when Secret is an identity token.
constexpr const char* kTokenUsername = "<token>";
// Far more than any credential answer; a helper printing more is cut off.
constexpr std::size_t kMaxOutput = 64 * 1024;

// A descriptor closed when it goes out of scope or is reset.
class UniqueFd {
 public:
  UniqueFd() = default;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }
  int get() const { return fd_; }
  bool open() const { return fd_ >= 0; }
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// A pipe whose ends close on exec: the child gets its copies through dup2 only.
struct Pipe {
  UniqueFd read, write;
  bool Open() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return false;
    read.Reset(fds[0]);
    write.Reset(fds[1]);
    return true;
  }
};

std::string Trimmed(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  std::size_t start = 0;
  while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start]))) ++start;
  text.erase(0, start);
  return text.size() > 200 ? text.substr(0, 197) + "..." : text;
}

// Writes `input` to `fd` with SIGPIPE blocked in this thread, so that a helper that exits
// without reading its stdin costs an EPIPE rather than the whole process.
void WriteIgnoringPipeSignal(int fd, const std::string& input) {
  sigset_t pipe_only, previous;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, &previous);
  bool broke = false;
  for (std::size_t off = 0; off < input.size();) {
    const ssize_t n = ::write(fd, input.data() + off, input.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      broke = errno == EPIPE;
      break;
    }
    off += static_cast<std::size_t>(n);
  }
  if (broke) {
    // The SIGPIPE is pending for this thread: take it before unblocking.
    const timespec now{0, 0};
    sigtimedwait(&pipe_only, nullptr, &now);
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

// Reads the child's stdout and stderr until both close or `deadline` passes; false on the
// deadline.
bool ReadUntilClosed(UniqueFd& out, UniqueFd& err, Deadline deadline, std::string& output,
                     std::string& errors) {
  while (out.open() || err.open()) {
    const auto left = TimeLeft(deadline);
    if (left.count() <= 0) return false;
    pollfd polls[2] = {{out.get(), POLLIN, 0}, {err.get(), POLLIN, 0}};
    const int ready = ::poll(polls, 2, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return true;  // nothing more can be read; the exit status still tells
    for (int i = 0; i < 2; ++i) {
      if (polls[i].revents == 0) continue;
      UniqueFd& fd = i == 0 ? out : err;
      std::string& sink = i == 0 ? output : errors;
      char buffer[4096];
      const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        fd.Reset();
        continue;
      }
      if (sink.size() < kMaxOutput) sink.append(buffer, static_cast<std::size_t>(n));
    }
  }
  return true;
}

// Reaps `pid`, killing it once `deadline` has passed; false when it had to be killed.
bool Reap(pid_t pid, Deadline deadline, bool kill_now, int& wait_status) {
  for (;;) {
    const pid_t done = ::waitpid(pid, &wait_status, WNOHANG);
    if (done == pid) return true;
    if (done < 0 && errno == EINTR) continue;
    if (done < 0) return true;  // already reaped elsewhere: nothing left to wait for
    if (kill_now || Expired(deadline)) {
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
      }
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

Result<std::optional<RegistryCredential>> RunCredentialHelper(const std::string& helper,
                                                              const std::string& registry,
                                                              std::chrono::milliseconds timeout) {
  const std::string program = "docker-credential-" + helper;
  if (helper.empty() || helper.find_first_of(std::string("/\0", 2)) != std::string::npos)
    return Status::Unavailable("credential helper name \"" + helper +
                               "\" must be a plain name (the program is docker-credential-NAME)");
  const Deadline deadline = DeadlineAfter(timeout);

  Pipe in, out, err;
  if (!in.Open() || !out.Open() || !err.Open())
    return Status::Unavailable(program + ": cannot make pipes: " + std::strerror(errno));

  // posix_spawnp rather than fork: jlrec has threads, and the child must run nothing but
  // the exec. A program missing from PATH comes back as its ENOENT.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.read.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, out.write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err.write.get(), 2);
  // The helper needs none of jlrec's SSH sockets or its state file.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  std::string get = "get";
  std::string argv0 = program;
  std::vector<char*> argv{argv0.data(), get.data(), nullptr};
  pid_t pid = -1;
  const int spawned =
      ::posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned == ENOENT)
    return Status::Unavailable(program + " is not on PATH (the Docker client configuration " +
                               "names credential helper " + helper + " for " + registry + ")");
  if (spawned != 0)
    return Status::Unavailable("cannot run " + program + ": " + std::strerror(spawned));
  in.read.Reset();
  out.write.Reset();
  err.write.Reset();

  // The server key is a few bytes: the pipe buffer takes it whole, so writing it before
  // reading cannot deadlock with a helper that writes first.
  WriteIgnoringPipeSignal(in.write.get(), CredentialKeyOf(registry));
  in.write.Reset();

  std::string output, errors;
  const bool closed = ReadUntilClosed(out.read, err.read, deadline, output, errors);
  int wait_status = 0;
  if (!Reap(pid, deadline, /*kill_now=*/!closed, wait_status))
    return Status::Unavailable(program + " get did not answer within " + FormatSeconds(timeout) +
                               " for " + registry + " (killed)");
  const int exit_code =
      WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
  if (exit_code != 0) {
    if (Trimmed(output) == kNotFoundMessage) return std::optional<RegistryCredential>();
    const std::string said = Trimmed(errors.empty() ? output : errors);
    return Status::Unavailable(program + " get failed for " + registry + " (exit " +
                               std::to_string(exit_code) + (said.empty() ? "" : ": " + said) + ")");
  }

  RegistryCredential credential;
  credential.registry = registry;
  credential.source = "credential helper " + program;
  try {
    const auto answer = nlohmann::json::parse(output);
    const std::string username = answer.value("Username", "");
    const std::string secret = answer.value("Secret", "");
    if (secret.empty()) return std::optional<RegistryCredential>();
    if (username == kTokenUsername) {
      credential.identity_token = secret;
    } else {
      credential.username = username;
      credential.password = secret;
    }
  } catch (const nlohmann::json::exception&) {
    // The text is not quoted: whatever it is, it may hold the secret.
    return Status::Unavailable(program + " get answered something other than its JSON " +
                               "credential for " + registry);
  }
  return std::optional<RegistryCredential>(std::move(credential));
}

}  // namespace jlrec
