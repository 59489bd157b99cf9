// A bidirectional byte stream with deadlines: what HTTP runs over (an SSH channel to the
// Docker socket in production, a scripted fake in tests).
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

#include "model/status.h"
#include "providers/deadline.h"

namespace jlrec {

/// One connection to a peer. Not thread-safe: one request at a time uses a stream, with one
/// exception: once the stream carries a raw two-way exchange (an attached exec), one thread
/// may write (WriteAll, CloseWrite) while another reads (ReadSome).
class ByteStream {
 public:
  virtual ~ByteStream() = default;

  /// Writes all of `data`; kTimeout past `deadline`, kUnavailable if the stream broke,
  /// kCancelled once the interruption (SetInterruption) says so while it waits for the peer.
  virtual Status WriteAll(std::string_view data, Deadline deadline) = 0;

  /// Reads between 1 and `capacity` bytes into `buffer`, waiting until `deadline`.
  /// Returns 0 when the peer closed its sending side (end of stream); kTimeout past the
  /// deadline; kUnavailable if the stream broke; kCancelled once the interruption says so.
  virtual Result<std::size_t> ReadSome(char* buffer, std::size_t capacity, Deadline deadline) = 0;

  /// False once the stream saw end of stream or an error: it must not carry another
  /// request. Cheap; does not touch the network.
  virtual bool Usable() const = 0;

  /// Closes the sending side only (the peer reads end of stream; what it still sends can be
  /// read): how the end of an attached exec's input reaches the process. kUnavailable if the
  /// stream broke.
  virtual Status CloseWrite() = 0;

  /// From now on, every wait of ReadSome and WriteAll also asks `interrupted` every few
  /// milliseconds and, once it returns true, ends with kCancelled (the stream is then
  /// broken): how Ctrl-C stops a wait whose deadline is far away (a logs follow, an attached
  /// exec). `interrupted` is called from the waiting thread; it must be cheap and must not
  /// use this stream. Call before the stream is used by more than one thread.
  virtual void SetInterruption(std::function<bool()> interrupted) = 0;
};

}  // namespace jlrec
