#include "core/progress.hpp"

#include <unistd.h>

#include <algorithm>

#include "core/logger.hpp"

namespace xct {

Progress::Progress(std::string label, std::size_t total, std::FILE* stream, Style style,
                   double min_interval_s)
    : label_(std::move(label)),
      total_(total),
      stream_(stream),
      style_(style),
      min_interval_s_(min_interval_s),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {
  if (style_ == Style::Auto) {
    style_ = (stream_ && isatty(fileno(stream_))) ? Style::Bar : Style::Lines;
  }
}

Progress::~Progress() {
  finish();
}

void Progress::advance(std::size_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  done_ = std::min(total_, done_ + n);
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_draw_).count();
  if (style_ == Style::Bar && since >= 0.1) {
    draw_locked(false);
  } else if (style_ == Style::Lines && since >= min_interval_s_ && done_ < total_) {
    draw_locked(false);
  }
}

void Progress::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  finished_ = true;
  if (style_ != Style::Silent) draw_locked(true);
}

void Progress::draw_locked(bool final) {
  last_draw_ = std::chrono::steady_clock::now();
  if (style_ == Style::Silent || stream_ == nullptr) return;
  const double elapsed = std::chrono::duration<double>(last_draw_ - start_).count();
  const double frac = total_ ? static_cast<double>(done_) / static_cast<double>(total_) : 1.0;
  if (style_ == Style::Bar) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(frac * kWidth);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(kWidth, '.');
    std::fprintf(stream_, "\r%s [%s] %zu/%zu %3.0f%% %.1fs%s", label_.c_str(), bar.c_str(), done_,
                 total_, 100.0 * frac, elapsed, final ? "\n" : "");
  } else {
    std::fprintf(stream_, "%s INFO  %s %zu/%zu (%.0f%%) %.1fs\n", timestamp_now().c_str(),
                 label_.c_str(), done_, total_, 100.0 * frac, elapsed);
  }
  std::fflush(stream_);
}

}  // namespace xct
