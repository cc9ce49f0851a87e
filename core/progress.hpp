// Progress reporting for long loops (slabs, files). On a terminal it redraws one bar on
// stderr; otherwise (cron, log files, pipes) it writes a plain timestamped line at most every
// `min_interval_s` seconds and at the end, so logs stay readable.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <mutex>
#include <string>

namespace xct {

class Progress {
 public:
  enum class Style { Auto, Bar, Lines, Silent };

  Progress(std::string label, std::size_t total, std::FILE* stream = stderr,
           Style style = Style::Auto, double min_interval_s = 10.0);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void advance(std::size_t n = 1);
  void finish();

  std::size_t done() const { return done_; }
  Style style() const { return style_; }

 private:
  void draw_locked(bool final);

  std::string label_;
  std::size_t total_;
  std::size_t done_ = 0;
  std::FILE* stream_;
  Style style_;
  double min_interval_s_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  std::mutex mutex_;
};

}  // namespace xct
