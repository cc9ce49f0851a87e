#include "core/error.hpp"

namespace xct {

int exit_code(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::Usage:
      return 2;
    case ErrorKind::BadData:
      return 65;
    case ErrorKind::InputMissing:
      return 66;
    case ErrorKind::DeviceUnavailable:
      return 69;
    case ErrorKind::Internal:
      return 70;
    case ErrorKind::OutputIO:
      return 74;
    case ErrorKind::TempFail:
      return 75;
  }
  return 70;
}

const char* kind_name(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::Usage:
      return "usage error";
    case ErrorKind::BadData:
      return "bad input data";
    case ErrorKind::InputMissing:
      return "input missing";
    case ErrorKind::DeviceUnavailable:
      return "device unavailable";
    case ErrorKind::Internal:
      return "internal error";
    case ErrorKind::OutputIO:
      return "output I/O error";
    case ErrorKind::TempFail:
      return "retry later";
  }
  return "internal error";
}

Error::Error(ErrorKind kind, const std::string& message, const char* file, int line)
    : std::runtime_error(message), kind_(kind), file_(file), line_(line) {}

std::string Error::where() const {
  return detail::concat(what(), " (", file_ ? file_ : "?", ":", line_, ")");
}

}  // namespace xct
