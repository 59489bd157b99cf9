#include "providers/ssh_provider.h"

#include "providers/docker_api_client.h"
#include "providers/docker_provider.h"
#include "providers/ssh_session.h"

namespace jlrec {

namespace {

class SshProviderFactory final : public ProviderFactory {
 public:
  Result<std::unique_ptr<Provider>> Open(const HostConnection& host,
                                         const ConnectOptions& options) override {
    auto session = SshSession::Connect(host, options);
    if (!session.ok()) return session.status().WithContext(host.key);
    std::string socket_path =
        host.docker_socket.empty() ? "/var/run/docker.sock" : host.docker_socket;
    DockerApiClient::Options api_options;
    api_options.peer = host.key + " (" + (*session)->peer() + ")";
    api_options.request_timeout = options.request_timeout;
    api_options.max_connections = kMaxStreamsPerHost;
    // The opener owns the session: it lives as long as the client that opens streams.
    auto api = std::make_unique<DockerApiClient>(
        [session = *session, socket_path](Deadline deadline) {
          return session->OpenUnixSocketStream(socket_path, deadline);
        },
        std::move(api_options));
    if (Status st = api->NegotiateVersion(); !st.ok()) return st;
    return std::unique_ptr<Provider>(
        new DockerProvider(host.key, std::move(api), options.registry_auth));
  }
};

}  // namespace

std::unique_ptr<ProviderFactory> MakeSshProviderFactory() {
  return std::make_unique<SshProviderFactory>();
}

}  // namespace jlrec
