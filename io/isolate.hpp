// Running a risky step in a child process. The HDF5 library can crash or loop forever on a
// corrupt file (malformed metadata is a steady source of HDF5 CVEs); reading the metadata
// first in a forked child turns such a file into a clear error instead of a dead process.
#pragma once

#include <functional>
#include <string>

#include "core/error.hpp"

namespace xct {

struct IsolatedResult {
  enum class Status { Ok, Threw, Crashed, TimedOut };
  Status status = Status::Ok;
  ErrorKind kind = ErrorKind::Internal;  // Threw: the kind of the xct::Error
  std::string message;                   // Threw: what(); Crashed: the signal's name
  int signal = 0;                        // Crashed: the signal that ended the child
};

// Runs `fn` in a forked child and reports how it ended. The child shares nothing back but the
// outcome: whatever `fn` computes is lost, so `fn` is a probe, not the real work. A child still
// running after `timeout_s` seconds is killed. Call it only while the process runs one thread.
IsolatedResult run_isolated(const std::function<void()>& fn, double timeout_s);

}  // namespace xct
