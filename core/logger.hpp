// Logging interface handed to library code. Libraries never print on their own; they report
// through the Logger they are given. The CLI decides where lines go (stderr, a log file).
#pragma once

#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace xct {

enum class LogLevel { Debug = 0, Info = 1, Warn = 2, Error = 3 };

const char* level_name(LogLevel level) noexcept;

class Logger {
 public:
  virtual ~Logger() = default;
  virtual void log(LogLevel level, std::string_view message) = 0;

  template <typename... Args>
  void debug(const Args&... args) {
    log(LogLevel::Debug, detail::concat(args...));
  }
  template <typename... Args>
  void info(const Args&... args) {
    log(LogLevel::Info, detail::concat(args...));
  }
  template <typename... Args>
  void warn(const Args&... args) {
    log(LogLevel::Warn, detail::concat(args...));
  }
  template <typename... Args>
  void error(const Args&... args) {
    log(LogLevel::Error, detail::concat(args...));
  }
};

// Discards everything; the default for library calls made without a logger.
class NullLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view) override {}
};

NullLogger& null_logger();

// Writes "2026-11-26T10:00:00.123Z INFO message" lines to a C stream, thread-safe, dropping
// lines below `min_level`.
class StreamLogger final : public Logger {
 public:
  explicit StreamLogger(std::FILE* stream, LogLevel min_level = LogLevel::Info);
  void log(LogLevel level, std::string_view message) override;
  void set_min_level(LogLevel level) { min_level_ = level; }

 private:
  std::FILE* stream_;
  LogLevel min_level_;
  std::mutex mutex_;
};

// Keeps every line in memory; for tests that assert on what was logged.
class MemoryLogger final : public Logger {
 public:
  void log(LogLevel level, std::string_view message) override;
  bool contains(std::string_view needle) const;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  mutable std::mutex mutex_;
};

// UTC timestamp "YYYY-MM-DDTHH:MM:SS.mmmZ" of the current time.
std::string timestamp_now();

}  // namespace xct
