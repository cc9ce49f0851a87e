// Runs this xct binary again as a child process: how `xct track` reconstructs raw steps and
// `xct batch` runs each step of a scan, so that a failure of one never takes the caller down.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace xct::cli {

// Runs `xct ARGS...` (this binary, /proc/self/exe) with its stdout and stderr going to
// `log_file` (appended to, or truncated first), and waits for it. The child dies with the
// caller, even when the caller is killed with SIGKILL: no orphan goes on writing. Returns its
// exit status (128 + the signal when a signal ended it).
int run_xct_child(const std::vector<std::string>& args, const std::filesystem::path& log_file,
                  bool append);

}  // namespace xct::cli
