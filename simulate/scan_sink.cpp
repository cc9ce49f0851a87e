#include "simulate/scan_sink.hpp"

#include <cstdio>
#include <sstream>

#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "io/dx_writer.hpp"
#include "io/nexus_writer.hpp"
#include "io/tiff.hpp"

namespace fs = std::filesystem;

namespace xct::sim {

namespace {

class DxSink final : public ScanSink {
 public:
  DxSink(const fs::path& file, const ScanLayout& l) : w_(file, dx_layout(l)) {}
  void write(FrameRole role, std::size_t first, std::size_t count, const void* data) override {
    w_.write_frames(role, first, count, data);
  }
  void commit() override { w_.commit(); }

 private:
  static DxScan dx_layout(const ScanLayout& l) {
    DxScan s;
    s.projections = {l.dtype, nullptr, l.n_angles, l.n_rows, l.n_cols};
    s.flats = {l.dtype, nullptr, l.n_flats, l.n_rows, l.n_cols};
    s.darks = {l.dtype, nullptr, l.n_darks, l.n_rows, l.n_cols};
    s.theta_deg = l.theta_deg;
    s.pixel_size_um = l.pixel_size_um;
    s.energy_kev = l.energy_kev;
    s.distance_mm = l.distance_mm;
    s.description = l.description;
    s.deflate_level = l.deflate_level;
    return s;
  }
  DxWriter w_;
};

// One stack in acquisition order: darks, flats before, projections, flats after.
class NexusSink final : public ScanSink {
 public:
  NexusSink(const fs::path& file, const ScanLayout& l) : w_(file, nx_layout(l)), l_(l) {}
  void write(FrameRole role, std::size_t first, std::size_t count, const void* data) override {
    std::size_t at = first;  // darks come first
    if (role == FrameRole::Flat) {
      at = first < l_.n_flats ? l_.n_darks + first : l_.n_darks + l_.n_angles + first;
    }
    if (role == FrameRole::Projection) at = l_.n_darks + l_.n_flats + first;
    w_.write_frames(at, count, data);
  }
  void commit() override { w_.commit(); }

 private:
  static NxTomoLayout nx_layout(const ScanLayout& l) {
    NxTomoLayout nx;
    nx.dtype = l.dtype;
    nx.n_rows = l.n_rows;
    nx.n_cols = l.n_cols;
    nx.image_key.insert(nx.image_key.end(), l.n_darks, 2);
    nx.image_key.insert(nx.image_key.end(), l.n_flats, 1);
    nx.image_key.insert(nx.image_key.end(), l.n_angles, 0);
    nx.image_key.insert(nx.image_key.end(), l.n_flats_after, 1);
    nx.rotation_deg.assign(l.n_darks + l.n_flats, l.theta_deg.front());
    nx.rotation_deg.insert(nx.rotation_deg.end(), l.theta_deg.begin(), l.theta_deg.end());
    nx.rotation_deg.insert(nx.rotation_deg.end(), l.n_flats_after, l.theta_deg.back());
    nx.pixel_size_um = l.pixel_size_um;
    nx.energy_kev = l.energy_kev;
    nx.distance_mm = l.distance_mm;
    nx.title = l.description;
    nx.deflate_level = l.deflate_level;
    return nx;
  }
  NxTomoWriter w_;
  ScanLayout l_;
};

// proj/proj_NNNNN.tif, flat_NNNNN.tif, dark_NNNNN.tif and angles.txt (degrees) in a folder
// built under a hidden temporary name and renamed into place when complete.
class TiffSink final : public ScanSink {
 public:
  TiffSink(fs::path folder, const ScanLayout& l) : final_(std::move(folder)), l_(l) {
    std::string name = final_.filename().string();
    name.insert(0, 1, '.');
    name.append(".tmp");
    temp_ = final_.parent_path() / name;
    std::error_code ec;
    fs::remove_all(temp_, ec);
    fs::create_directories(temp_ / "proj", ec);
    XCT_CHECK(!ec, ErrorKind::OutputIO, "cannot create ", temp_.string(), ": ", ec.message());
    std::ostringstream text;
    text.precision(17);
    for (double d : l.theta_deg)
      text << d << "\n";
    write_file_atomic(temp_ / "angles.txt", text.str());
  }
  ~TiffSink() override {
    if (!committed_) {
      std::error_code ec;
      fs::remove_all(temp_, ec);
    }
  }
  void write(FrameRole role, std::size_t first, std::size_t count, const void* data) override {
    const char* stem = role == FrameRole::Projection ? "proj/proj_"
                       : role == FrameRole::Flat     ? "flat_"
                                                     : "dark_";
    const std::size_t bytes = l_.n_rows * l_.n_cols * dtype_size(l_.dtype);
    for (std::size_t i = 0; i < count; ++i) {
      char name[64];
      std::snprintf(name, sizeof name, "%s%05zu.tif", stem, first + i);
      write_tiff_pages(temp_ / name, l_.dtype, static_cast<const char*>(data) + i * bytes, 1,
                       l_.n_rows, l_.n_cols);
    }
  }
  void commit() override {
    std::error_code ec;
    fs::remove_all(final_, ec);
    fs::rename(temp_, final_, ec);
    XCT_CHECK(!ec, ErrorKind::OutputIO, "cannot rename ", temp_.string(), " to ", final_.string(),
              ": ", ec.message());
    committed_ = true;
  }

 private:
  fs::path final_, temp_;
  ScanLayout l_;
  bool committed_ = false;
};

}  // namespace

const char* format_name(ScanFormat format) {
  switch (format) {
    case ScanFormat::Hdf5:
      return "data-exchange";
    case ScanFormat::Nexus:
      return "nexus";
    case ScanFormat::Tiff:
      return "tiff";
  }
  return "unknown";
}

const char* format_extension(ScanFormat format) {
  switch (format) {
    case ScanFormat::Hdf5:
      return ".h5";
    case ScanFormat::Nexus:
      return ".nxs";
    case ScanFormat::Tiff:
      return "";
  }
  return "";
}

std::unique_ptr<ScanSink> open_scan_sink(const fs::path& path, const ScanLayout& layout) {
  XCT_CHECK(layout.n_flats_after == 0 || layout.format == ScanFormat::Nexus, ErrorKind::Internal,
            "flats after the projections need the NeXus format");
  switch (layout.format) {
    case ScanFormat::Hdf5:
      return std::make_unique<DxSink>(path, layout);
    case ScanFormat::Nexus:
      return std::make_unique<NexusSink>(path, layout);
    case ScanFormat::Tiff:
      return std::make_unique<TiffSink>(path, layout);
  }
  XCT_THROW(ErrorKind::Internal, "unknown scan format");
}

}  // namespace xct::sim
