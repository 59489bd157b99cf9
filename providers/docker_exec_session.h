// An attached exec on a Docker daemon (`docker exec -i [-t]`): the hijacked connection of
// POST /exec/{id}/start carries the process's input one way and its output the other.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "model/provider.h"
#include "providers/docker_api_client.h"
#include "providers/docker_stream_demux.h"
#include "providers/http_stream.h"

namespace jlrec {

/// `argv` for messages: its words joined by spaces, cut to 80 characters.
std::string DescribeCommand(const std::vector<std::string>& argv);

/// Starts `request.argv` in container `id` through `api` (POST /containers/{id}/exec, then
/// the hijacked POST /exec/{id}/start) and returns the session, as Provider::StartExec
/// promises. `host` names the host in messages. `api` must outlive the session.
Result<std::unique_ptr<ExecSession>> StartDockerExec(DockerApiClient& api, const std::string& host,
                                                     const std::string& id,
                                                     const ExecRequest& request);

/// The ExecSession over one hijacked connection (see model/provider.h for the threading).
class DockerExecSession final : public ExecSession {
 public:
  /// `stream`: the raw connection of exec `exec_id`'s start; `what` names it in messages.
  DockerExecSession(DockerApiClient& api, std::string exec_id, bool tty,
                    std::unique_ptr<HttpStream> stream, std::string what);

  Result<bool> ReadOutput(const OutputSink& sink) override;
  Status WriteInput(std::string_view bytes) override;
  Status CloseInput() override;
  Status Resize(TerminalSize size) override;
  Result<ExecOutcome> Finish() override;

 private:
  DockerApiClient& api_;
  const std::string exec_id_;
  const bool tty_;
  const std::unique_ptr<HttpStream> stream_;
  const std::string what_;
  // Used by ReadOutput only (one thread): the sink of the current call, which the
  // demultiplexer hands each payload to.
  const OutputSink* sink_ = nullptr;
  DockerStreamDemuxer demuxer_;
  std::string chunk_;  // ReadOutput's buffer, kept to reuse its capacity
};

}  // namespace jlrec
