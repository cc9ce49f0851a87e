#include "recon/reslice.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "core/error.hpp"

namespace xct::recon {

namespace {

void pwrite_all(int fd, const void* data, std::size_t n, off_t offset,
                const std::filesystem::path& path) {
  const auto* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::pwrite(fd, p, n, offset);
    if (w < 0 && errno == EINTR) continue;
    XCT_CHECK(w > 0, ErrorKind::OutputIO, "cannot write scratch file ", path.string(), ": ",
              std::strerror(errno));
    p += w, n -= static_cast<std::size_t>(w), offset += w;
  }
}

void pread_all(int fd, void* data, std::size_t n, off_t offset, const std::filesystem::path& path) {
  auto* p = static_cast<char*>(data);
  while (n > 0) {
    const ssize_t r = ::pread(fd, p, n, offset);
    if (r < 0 && errno == EINTR) continue;
    XCT_CHECK(r > 0, ErrorKind::OutputIO, "cannot read scratch file ", path.string(), ": ",
              r == 0 ? "unexpected end" : std::strerror(errno));
    p += r, n -= static_cast<std::size_t>(r), offset += r;
  }
}

// Where one role's frames lie in the scratch file: rows outermost, then frames, then columns.
struct Region {
  bool copied = false;
  Range frames;
  DType dtype = DType::UInt16;
  std::size_t sample = 0;
  off_t base = 0;
};

std::size_t role_index(FrameRole role) {
  return role == FrameRole::Projection ? 0 : role == FrameRole::Flat ? 1 : 2;
}

}  // namespace

struct ReslicedScan::Impl {
  ScanReader& source;
  Range rows;
  std::filesystem::path path;
  int fd = -1;
  std::size_t n_cols = 0;
  std::array<Region, 3> regions;
  std::uint64_t written = 0, read = 0;

  Impl(ScanReader& s, Range r, std::filesystem::path f) : source(s), rows(r), path(std::move(f)) {}
  off_t offset(const Region& g, std::size_t row, std::size_t frame) const {
    return g.base +
           static_cast<off_t>(((row - rows.begin) * g.frames.size() + (frame - g.frames.begin)) *
                              n_cols * g.sample);
  }
  void copy(FrameRole role, Region& g, std::uint64_t group_bytes);
};

// Reads groups of frames (each chunk decoded once) and writes each row's run of frames
// contiguously.
void ReslicedScan::Impl::copy(FrameRole role, Region& g, std::uint64_t group_bytes) {
  const std::size_t frame_bytes = rows.size() * n_cols * g.sample, row_bytes = n_cols * g.sample;
  const std::size_t group = std::clamp<std::size_t>(
      group_bytes / std::max<std::size_t>(frame_bytes, 1), 1, g.frames.size());
  std::vector<char> buf(group * frame_bytes), row_block(group * row_bytes);
  for (std::size_t f0 = g.frames.begin; f0 < g.frames.end; f0 += group) {
    const std::size_t n = std::min(group, g.frames.end - f0);
    source.read_frames(role, Range{f0, f0 + n}, rows, g.dtype, buf.data());
    for (std::size_t r = rows.begin; r < rows.end; ++r) {
      for (std::size_t k = 0; k < n; ++k)
        std::memcpy(row_block.data() + k * row_bytes,
                    buf.data() + (k * rows.size() + (r - rows.begin)) * row_bytes, row_bytes);
      pwrite_all(fd, row_block.data(), n * row_bytes, offset(g, r, f0), path);
      written += n * row_bytes;
    }
  }
  g.copied = true;
}

ReslicedScan::ReslicedScan(ScanReader& source, Range rows, Range proj,
                           std::filesystem::path scratch, std::uint64_t group_bytes, Logger& log)
    : impl_(std::make_unique<Impl>(source, rows, std::move(scratch))) {
  Impl& m = *impl_;
  const ScanInfo& info = source.info();
  m.n_cols = info.n_cols();
  m.fd = ::open(m.path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  XCT_CHECK(m.fd >= 0, ErrorKind::OutputIO, "cannot create scratch file ", m.path.string(), ": ",
            std::strerror(errno));
  off_t base = 0;
  const FrameRole roles[] = {FrameRole::Projection, FrameRole::Flat, FrameRole::Dark};
  for (FrameRole role : roles) {
    const StackInfo& s = stack(role);
    if (!s.present || s.n_frames == 0) continue;
    Region& g = m.regions[role_index(role)];
    g.frames = role == FrameRole::Projection ? proj : Range{0, s.n_frames};
    g.dtype = s.dtype;
    g.sample = dtype_size(s.dtype);
    g.base = base;
    base += static_cast<off_t>(rows.size() * g.frames.size() * m.n_cols * g.sample);
  }
  log.info("reslicing rows ", rows.begin, "-", rows.end, " of ", proj.size(),
           " projections with the flats and darks into ", m.path.string(), " (",
           static_cast<std::uint64_t>(base) / (1024 * 1024), " MiB)");
  for (FrameRole role : roles)
    if (m.regions[role_index(role)].frames.size() > 0)
      m.copy(role, m.regions[role_index(role)], group_bytes);
}

ReslicedScan::~ReslicedScan() {
  if (impl_->fd >= 0) ::close(impl_->fd);
  std::error_code ec;
  std::filesystem::remove(impl_->path, ec);
}

const ScanInfo& ReslicedScan::info() const {
  return impl_->source.info();
}

void ReslicedScan::read_frames(FrameRole role, Range frames, Range rows, DType out_type,
                               void* out) {
  Impl& m = *impl_;
  const Region& g = m.regions[role_index(role)];
  const bool inside = g.copied && frames.begin >= g.frames.begin && frames.end <= g.frames.end &&
                      rows.begin >= m.rows.begin && rows.end <= m.rows.end;
  if (!inside) {
    m.source.read_frames(role, frames, rows, out_type, out);
    return;
  }
  check_request(role, frames, rows, out_type);
  const std::size_t out_size = dtype_size(out_type), n_rows = rows.size();
  std::vector<char> block(frames.size() * m.n_cols * g.sample);
  for (std::size_t r = rows.begin; r < rows.end; ++r) {
    pread_all(m.fd, block.data(), block.size(), m.offset(g, r, frames.begin), m.path);
    m.read += block.size();
    // The row's run of frames [frame, col] into the frame-major output (frame, row, col).
    for (std::size_t k = 0; k < frames.size(); ++k)
      convert_samples(
          g.dtype, block.data() + k * m.n_cols * g.sample, out_type,
          static_cast<char*>(out) + (k * n_rows + (r - rows.begin)) * m.n_cols * out_size,
          m.n_cols);
  }
}

std::uint64_t ReslicedScan::scratch_bytes_written() const {
  return impl_->written;
}
std::uint64_t ReslicedScan::scratch_bytes_read() const {
  return impl_->read;
}

}  // namespace xct::recon
