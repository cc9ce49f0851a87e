// An open libtiff handle whose messages are captured, never printed. Shared by the TIFF
// reader (tiff.cpp) and writer (tiff_write.cpp); not part of the public io interface.
#pragma once

#include <tiffio.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace xct::tiff_detail {

// A hostile 1 MB file can ask libtiff for gigabytes (huge tag counts, strip tables).
constexpr tmsize_t kMaxSingleAlloc = tmsize_t{2} << 30;
// Larger images than this (in bytes) are refused before any size arithmetic can overflow.
constexpr std::uint64_t kMaxImageBytes = std::uint64_t{1} << 60;
// Classic TIFF offsets are 32-bit; images near 4 GiB are written as BigTIFF.
constexpr std::uint64_t kClassicTiffLimit = std::uint64_t{0xF0000000};

// Replaces line breaks so that a message stays one line.
std::string one_line(std::string s);

class TiffHandle {
 public:
  // Opens `file` with a libtiff mode ("r", "w8l", ...), allocations capped at kMaxSingleAlloc.
  // is_open() says whether it worked; said() tells why not.
  TiffHandle(const std::filesystem::path& file, const char* mode);
  ~TiffHandle();
  TiffHandle(const TiffHandle&) = delete;
  TiffHandle& operator=(const TiffHandle&) = delete;

  TIFF* get() const { return tif_; }
  bool is_open() const { return tif_ != nullptr; }

  // What libtiff said, as " (libtiff: ...)", or "" when it said nothing.
  std::string said() const;

  // Flushes and closes a handle opened for writing; throws ErrorKind::OutputIO on failure.
  void close_written(const std::filesystem::path& file);

 private:
  TIFF* tif_ = nullptr;
  std::unique_ptr<std::string> messages_;  // stable address for the callbacks
};

}  // namespace xct::tiff_detail
