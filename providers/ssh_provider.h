// The production ProviderFactory: each host is one SSH session (libssh) carrying Docker
// Engine API requests to the host's docker socket.
#pragma once

#include <memory>

#include "model/provider.h"

namespace jlrec {

/// A factory whose Open() connects over SSH (see providers/ssh_session.h for the
/// transport and its threading, docs/provider.md for the whole design), negotiates the
/// Docker API version, and returns a thread-safe Provider that reuses up to
/// kMaxStreamsPerHost keep-alive streams for overlapping requests.
std::unique_ptr<ProviderFactory> MakeSshProviderFactory();

/// Overlapping requests one provider serves at once (more wait for a free stream).
inline constexpr int kMaxStreamsPerHost = 4;

}  // namespace jlrec
