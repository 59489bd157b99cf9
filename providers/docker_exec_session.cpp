#include "providers/docker_exec_session.h"

#include <nlohmann/json.hpp>

#include <thread>

#include "providers/url_encoding.h"

namespace jlrec {

namespace {

using nlohmann::json;

// A resize right after the start can come before the daemon has the process; Docker's own
// CLI tries again too.
constexpr int kResizeAttempts = 10;
constexpr std::chrono::milliseconds kResizePause{20};

}  // namespace

std::string DescribeCommand(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) out += (out.empty() ? "" : " ") + arg;
  return out.size() > 80 ? out.substr(0, 77) + "..." : out;
}

Result<std::unique_ptr<ExecSession>> StartDockerExec(DockerApiClient& api, const std::string& host,
                                                     const std::string& id,
                                                     const ExecRequest& request) {
  if (request.argv.empty()) return Status::InvalidArgument("exec: empty command");
  const std::string what = host + ": exec '" + DescribeCommand(request.argv) + "' in " + id;

  DockerApiClient::Call create;
  create.method = "POST";
  create.path = "/containers/" + PercentEncode(id) + "/exec";
  create.content_type = "application/json";
  // Cmd is the argument vector as it is: Docker runs it without a shell.
  create.body = json{
      {"Cmd", request.argv},
      {"AttachStdin", true},
      {"AttachStdout", true},
      {"AttachStderr", true},
      {"Tty",
       request.tty}}.dump();
  // 409 "Container ... is not running" and 404 "No such container" keep their codes.
  const std::string create_what = host + ": POST " + create.path;
  auto created = SendForJson(api, std::move(create), {{"Id", {}}}, create_what);
  if (!created.ok()) return created.status();
  auto exec_id = created->find("Id");
  if (exec_id == created->end() || !exec_id->is_string())
    return Status::RemoteError(what + ": the daemon's answer has no Id");

  DockerApiClient::Call start;
  start.method = "POST";
  start.path = "/exec/" + PercentEncode(exec_id->get<std::string>()) + "/start";
  start.content_type = "application/json";
  start.body = json{{"Detach", false}, {"Tty", request.tty}}.dump();
  auto stream = api.OpenStream(start, /*upgrade=*/true, request.interrupted);
  if (!stream.ok()) return stream.status();
  if (!(*stream)->response().success() && (*stream)->response().status != 101)
    return DockerErrorStatus((*stream)->response(), host + ": POST " + start.path);
  if (!(*stream)->raw())
    return Status::RemoteError(what + ": the daemon did not hand over the connection (HTTP " +
                               std::to_string((*stream)->response().status) + ")");
  auto session = std::make_unique<DockerExecSession>(api, exec_id->get<std::string>(), request.tty,
                                                     std::move(*stream), what);
  if (request.tty && request.size) {
    Status resized;
    for (int attempt = 0; attempt < kResizeAttempts; ++attempt) {
      resized = session->Resize(*request.size);
      if (resized.ok()) break;
      std::this_thread::sleep_for(kResizePause * (attempt + 1));
    }
    // The session works without it; the process sees a default size.
    (void)resized;
  }
  return std::unique_ptr<ExecSession>(std::move(session));
}

DockerExecSession::DockerExecSession(DockerApiClient& api, std::string exec_id, bool tty,
                                     std::unique_ptr<HttpStream> stream, std::string what)
    : api_(api),
      exec_id_(std::move(exec_id)),
      tty_(tty),
      stream_(std::move(stream)),
      what_(std::move(what)),
      demuxer_(
          [this](OutputStream which, std::string_view bytes) { return (*sink_)(which, bytes); },
          what_) {}

Result<bool> DockerExecSession::ReadOutput(const OutputSink& sink) {
  chunk_.clear();
  auto more = stream_->Read(&chunk_, NoDeadline());
  if (!more.ok()) return more.status().WithContext(what_);
  if (!*more) {
    if (!tty_)
      if (Status st = demuxer_.Finish(); !st.ok()) return st;
    return false;
  }
  // Without a TTY the daemon multiplexes stdout and stderr; with one the process has a single
  // output, the terminal, sent as it is.
  if (tty_) {
    if (Status st = sink(OutputStream::kStdout, chunk_); !st.ok()) return st;
    return true;
  }
  sink_ = &sink;
  Status fed = demuxer_.Feed(chunk_);
  sink_ = nullptr;
  if (!fed.ok()) return fed;
  return true;
}

Status DockerExecSession::WriteInput(std::string_view bytes) {
  return stream_->Write(bytes, NoDeadline()).WithContext(what_ + ": input");
}

Status DockerExecSession::CloseInput() {
  if (tty_)
    return Status::InvalidArgument(
        what_ + ": a TTY session's input cannot be ended (Docker would end its output)");
  return stream_->CloseWrite().WithContext(what_ + ": input");
}

Status DockerExecSession::Resize(TerminalSize size) {
  if (!tty_) return Status::InvalidArgument(what_ + ": no TTY to resize");
  if (size.rows <= 0 || size.columns <= 0)
    return Status::InvalidArgument(what_ + ": terminal size " + std::to_string(size.rows) + "x" +
                                   std::to_string(size.columns));
  DockerApiClient::Call call;
  call.method = "POST";
  call.path = "/exec/" + PercentEncode(exec_id_) + "/resize";
  call.query = {{"h", std::to_string(size.rows)}, {"w", std::to_string(size.columns)}};
  auto response = api_.Send(call);
  if (!response.ok()) return response.status();
  if (!response->success()) return DockerErrorStatus(*response, what_ + ": resize");
  return Status::Ok();
}

Result<ExecOutcome> DockerExecSession::Finish() {
  // The output ends as the process exits; the daemon records the exit a moment later.
  const Deadline deadline = DeadlineAfter(api_.request_timeout());
  auto pause = std::chrono::milliseconds(5);
  for (;;) {
    DockerApiClient::Call inspect;
    inspect.path = "/exec/" + PercentEncode(exec_id_) + "/json";
    auto state = SendForJson(api_, std::move(inspect),
                             {{"Running", {}}, {"ExitCode", {}}, {"Pid", {}}}, what_ + ": inspect");
    if (!state.ok()) return state.status();
    try {
      const bool running = state->value("Running", false);
      auto code = state->find("ExitCode");
      if (!running && code != state->end() && code->is_number_integer()) {
        ExecOutcome outcome;
        outcome.exit_code = code->get<int>();
        // A process that never ran has no pid: the daemon could not start the command.
        auto pid = state->find("Pid");
        outcome.started = pid == state->end() || !pid->is_number_integer() || pid->get<int>() != 0;
        return outcome;
      }
    } catch (const json::exception& e) {
      return Status::RemoteError(what_ + ": unexpected exec inspect JSON: " + e.what());
    }
    if (Expired(deadline))
      return Status::Timeout(what_ + ": its output ended but the daemon still reports it running " +
                             "after " + FormatSeconds(api_.request_timeout()));
    std::this_thread::sleep_for(std::min(pause, TimeLeft(deadline)));
    pause = std::min(pause * 2, std::chrono::milliseconds(100));
  }
}

}  // namespace jlrec
