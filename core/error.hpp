// One error type for the whole project. Library code throws xct::Error; only main()
// catches it, prints one line and returns the exit code that matches its kind.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace xct {

// Kinds of failure, each with its documented process exit code (BSD sysexits values).
enum class ErrorKind {
  Usage,              // 2: bad command line or configuration
  BadData,            // 65: input exists but its content is wrong
  InputMissing,       // 66: input file, folder or dataset does not exist
  DeviceUnavailable,  // 69: an explicitly requested device is not usable
  Internal,           // 70: a bug or an unexpected library failure
  OutputIO,           // 74: an output could not be written
  TempFail,           // 75: locked or still being written; retry later
};

int exit_code(ErrorKind kind) noexcept;
const char* kind_name(ErrorKind kind) noexcept;

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message, const char* file, int line);

  ErrorKind kind() const noexcept { return kind_; }
  int exit_code() const noexcept { return xct::exit_code(kind_); }
  const char* file() const noexcept { return file_; }
  int line() const noexcept { return line_; }
  // "message (file:line)", for debug logs.
  std::string where() const;

 private:
  ErrorKind kind_;
  const char* file_;
  int line_;
};

namespace detail {
template <typename... Args>
std::string concat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
}  // namespace detail

}  // namespace xct

// Throw an xct::Error of the given kind; the message is built from the remaining arguments.
#define XCT_THROW(kind, ...) \
  throw ::xct::Error((kind), ::xct::detail::concat(__VA_ARGS__), __FILE__, __LINE__)

// Check a condition; when it is false, throw an xct::Error of the given kind.
#define XCT_CHECK(cond, kind, ...)  \
  do {                              \
    if (!(cond)) {                  \
      XCT_THROW(kind, __VA_ARGS__); \
    }                               \
  } while (0)
