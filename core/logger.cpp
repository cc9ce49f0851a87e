#include "core/logger.hpp"

#include <chrono>
#include <ctime>

namespace xct {

const char* level_name(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::Debug:
      return "DEBUG";
    case LogLevel::Info:
      return "INFO";
    case LogLevel::Warn:
      return "WARN";
    case LogLevel::Error:
      return "ERROR";
  }
  return "INFO";
}

NullLogger& null_logger() {
  static NullLogger instance;
  return instance;
}

std::string timestamp_now() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const std::time_t t = system_clock::to_time_t(now);
  const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[40];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}

StreamLogger::StreamLogger(std::FILE* stream, LogLevel min_level)
    : stream_(stream), min_level_(min_level) {}

void StreamLogger::log(LogLevel level, std::string_view message) {
  if (level < min_level_) return;
  const std::string ts = timestamp_now();
  std::lock_guard<std::mutex> lock(mutex_);
  std::fprintf(stream_, "%s %-5s %.*s\n", ts.c_str(), level_name(level),
               static_cast<int>(message.size()), message.data());
  std::fflush(stream_);
}

void MemoryLogger::log(LogLevel level, std::string_view message) {
  std::lock_guard<std::mutex> lock(mutex_);
  text_ += level_name(level);
  text_ += ' ';
  text_.append(message);
  text_ += '\n';
}

bool MemoryLogger::contains(std::string_view needle) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return text_.find(needle) != std::string::npos;
}

}  // namespace xct
