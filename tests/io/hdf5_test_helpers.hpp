// Small helpers shared by the HDF5 reader tests (header only: each *_test.cpp is its own
// executable).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "tests/support/test_support.hpp"

namespace xct::test {

// Runs a Python snippet (h5py, numpy) and fails the test, showing Python's stderr, when the
// snippet fails (its own asserts included). Returns what it printed.
inline std::string python_ok(const std::string& code, const std::vector<std::string>& args = {}) {
  const CommandResult r = run_python(code, args);
  EXPECT_EQ(r.exit_code, 0) << "python failed:\n" << r.err;
  return r.out;
}

// The xct::Error that `fn` throws; a failure of the test when it throws nothing or something
// else.
inline Error thrown_error(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not an xct::Error: " << e.what();
    return Error(ErrorKind::Internal, e.what(), __FILE__, __LINE__);
  }
  ADD_FAILURE() << "no error was thrown";
  return Error(ErrorKind::Internal, "<nothing thrown>", __FILE__, __LINE__);
}

// Asserts the kind of the error, that its message is one line, and that it names `needles`.
inline void expect_error(const std::function<void()>& fn, ErrorKind kind,
                         const std::vector<std::string>& needles) {
  const Error e = thrown_error(fn);
  const std::string what = e.what();
  EXPECT_EQ(e.kind(), kind) << kind_name(e.kind()) << ": " << what;
  EXPECT_EQ(what.find('\n'), std::string::npos) << "message spans lines: " << what;
  for (const auto& n : needles)
    EXPECT_NE(what.find(n), std::string::npos) << what;
}

// Runs the rest of a scope in another current directory, so that tests see whether relative
// names are resolved against the files rather than the process's directory.
class CurrentDir {
 public:
  explicit CurrentDir(const std::filesystem::path& dir) : saved_(std::filesystem::current_path()) {
    std::filesystem::current_path(dir);
  }
  ~CurrentDir() {
    std::error_code ec;
    std::filesystem::current_path(saved_, ec);
  }
  CurrentDir(const CurrentDir&) = delete;
  CurrentDir& operator=(const CurrentDir&) = delete;

 private:
  std::filesystem::path saved_;
};

}  // namespace xct::test
