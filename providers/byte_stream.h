// A bidirectional byte stream with deadlines: what HTTP runs over (an SSH channel to the
// Docker socket in production, a scripted fake in tests).
#pragma once

#include <cstddef>
#include <string_view>

#include "model/status.h"
#include "providers/deadline.h"

namespace jlrec {

/// One connection to a peer. Not thread-safe: one request at a time uses a stream.
class ByteStream {
 public:
  virtual ~ByteStream() = default;

  /// Writes all of `data`; kTimeout past `deadline`, kUnavailable if the stream broke.
  virtual Status WriteAll(std::string_view data, Deadline deadline) = 0;

  /// Reads between 1 and `capacity` bytes into `buffer`, waiting until `deadline`.
  /// Returns 0 when the peer closed its sending side (end of stream); kTimeout past the
  /// deadline; kUnavailable if the stream broke.
  virtual Result<std::size_t> ReadSome(char* buffer, std::size_t capacity, Deadline deadline) = 0;

  /// False once the stream saw end of stream or an error: it must not carry another
  /// request. Cheap; does not touch the network.
  virtual bool Usable() const = 0;
};

}  // namespace jlrec
