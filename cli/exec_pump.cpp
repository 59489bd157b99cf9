#include "cli/exec_pump.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <thread>

#include "cli/container_streams.h"

namespace jlrec::cli {

namespace {

// Writes all of `bytes` to `fd`; kIoError when the descriptor takes no more (EPIPE: the
// terminal or pipe is gone).
Status WriteFd(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IoError(std::string("writing the output: ") + std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::Ok();
}

// A pipe whose ends close with it.
class Pipe {
 public:
  Pipe() {
    if (::pipe2(fds_.data(), O_CLOEXEC) != 0) fds_ = {-1, -1};
  }
  ~Pipe() {
    for (int fd : fds_)
      if (fd >= 0) ::close(fd);
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  bool ok() const { return fds_[0] >= 0; }
  int read_end() const { return fds_[0]; }
  int write_end() const { return fds_[1]; }

 private:
  std::array<int, 2> fds_{-1, -1};
};

}  // namespace

Result<ExecOutcome> PumpExecSession(ExecSession& session, bool tty, const ExecEnds& ends) {
  Pipe output_done;  // the output thread writes one byte here as it ends
  if (!output_done.ok())
    return Status::IoError(std::string("exec: cannot make a pipe: ") + std::strerror(errno));

  Status output_status;
  std::thread output([&] {
    std::optional<ContainerTextWriter> out, err;
    if (!tty) {
      out.emplace(*ends.out);
      err.emplace(*ends.err);
    }
    const OutputSink sink = [&](OutputStream stream, std::string_view bytes) {
      if (tty) return WriteFd(ends.tty_output_fd, bytes);
      (stream == OutputStream::kStderr ? *err : *out).Write(bytes);
      return Status::Ok();
    };
    for (;;) {
      Result<bool> more = session.ReadOutput(sink);
      if (!more.ok()) output_status = more.status();
      if (!more.ok() || !*more) break;
    }
    if (!tty) {
      out->Finish();
      err->Finish();
    }
    const char done = 'D';
    // Nothing to do if it fails: the pipe is ours and empty, a one-byte write cannot block.
    (void)!::write(output_done.write_end(), &done, 1);
  });

  bool stopped = false;
  int input_fd = ends.input_fd;
  // Ends the process's stdin (no TTY: with one, Docker would end the output too).
  auto end_input = [&] {
    input_fd = -1;
    if (!tty) (void)session.CloseInput();  // a failure here means the process is gone anyway
  };
  if (input_fd < 0) end_input();
  std::array<char, 16 * 1024> buffer;
  for (bool output_ended = false; !output_ended;) {
    std::array<pollfd, 3> fds{
        {{output_done.read_end(), POLLIN, 0}, {ends.wake_fd, POLLIN, 0}, {input_fd, POLLIN, 0}}};
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;  // a signal: its byte is in the wake pipe
      // Cannot wait on the input any more: end it, and let the process finish its output.
      if (input_fd >= 0) end_input();
      break;
    }
    if (fds[0].revents != 0) output_ended = true;
    if (fds[1].revents != 0) {
      char event = 0;
      if (::read(ends.wake_fd, &event, 1) == 1 && event == kWakeResize && tty && ends.terminal_size)
        if (auto size = ends.terminal_size()) (void)session.Resize(*size);  // cosmetic if it fails
      if (event == kWakeStop) {
        stopped = true;
        break;
      }
    }
    if (input_fd >= 0 && fds[2].revents != 0) {
      const ssize_t n = ::read(input_fd, buffer.data(), buffer.size());
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) {
        end_input();
      } else if (!session.WriteInput(std::string_view(buffer.data(), static_cast<std::size_t>(n)))
                      .ok()) {
        // The process no longer takes input (exited, closed its stdin, or was interrupted):
        // its output still says how it ended.
        input_fd = -1;
      }
    }
  }
  // After a stop the session's waits end by themselves (its `interrupted` says so).
  output.join();
  if (stopped) return Status::Cancelled("exec: interrupted");
  if (!output_status.ok()) return output_status;
  return session.Finish();
}

}  // namespace jlrec::cli
