// libtiff message capture: per-handle error handlers collect messages into the handle; the
// rare message reported without a handle lands in a per-thread string instead of on stderr.
#include "io/tiff_handle.hpp"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <mutex>

#include "core/error.hpp"

namespace fs = std::filesystem;

namespace xct::tiff_detail {

namespace {

thread_local std::string g_unhandled_messages;

void append_message(std::string& to, const char* module, const char* fmt, va_list ap) {
  char text[512];
  std::vsnprintf(text, sizeof text, fmt, ap);
  const std::string line = (module && *module ? std::string(module) + ": " : "") + text;
  // The first messages explain; later ones mostly repeat them.
  if (to.size() > 400 || to.find(line) != std::string::npos) return;
  if (!to.empty()) to += "; ";
  to += line;
}

void on_unhandled_error(const char* module, const char* fmt, va_list ap) {
  append_message(g_unhandled_messages, module, fmt, ap);
}
void on_unhandled_warning(const char*, const char*, va_list) {}

int on_handle_error(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
  append_message(*static_cast<std::string*>(user), module, fmt, ap);
  return 1;  // handled: libtiff does not call the global handler
}
// Warnings (unknown private tags, estimated byte counts) are not failures; the readers' own
// checks catch what matters.
int on_handle_warning(TIFF*, void*, const char*, const char*, va_list) {
  return 1;
}

}  // namespace

std::string one_line(std::string s) {
  std::replace_if(
      s.begin(), s.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return s;
}

TiffHandle::TiffHandle(const fs::path& file, const char* mode)
    : messages_(std::make_unique<std::string>()) {
  static std::once_flag once;
  std::call_once(once, [] {
    TIFFSetErrorHandler(on_unhandled_error);
    TIFFSetWarningHandler(on_unhandled_warning);
  });
  g_unhandled_messages.clear();
  TIFFOpenOptions* opts = TIFFOpenOptionsAlloc();
  XCT_CHECK(opts != nullptr, ErrorKind::Internal, "libtiff cannot allocate open options");
  TIFFOpenOptionsSetMaxSingleMemAlloc(opts, kMaxSingleAlloc);
  TIFFOpenOptionsSetErrorHandlerExtR(opts, on_handle_error, messages_.get());
  TIFFOpenOptionsSetWarningHandlerExtR(opts, on_handle_warning, nullptr);
  tif_ = TIFFOpenExt(file.c_str(), mode, opts);
  TIFFOpenOptionsFree(opts);
}

TiffHandle::~TiffHandle() {
  if (tif_) TIFFClose(tif_);
}

std::string TiffHandle::said() const {
  std::string m = *messages_;
  if (!g_unhandled_messages.empty()) m += (m.empty() ? "" : "; ") + g_unhandled_messages;
  return m.empty() ? std::string() : " (libtiff: " + one_line(m) + ")";
}

void TiffHandle::close_written(const fs::path& file) {
  const bool flushed = TIFFFlush(tif_) == 1;
  TIFFClose(tif_);
  tif_ = nullptr;
  XCT_CHECK(flushed, ErrorKind::OutputIO, "cannot write ", file.string(), said());
}

}  // namespace xct::tiff_detail
