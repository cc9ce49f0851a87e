#include "io/volume_output.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <algorithm>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <system_error>

#include "core/error.hpp"
#include "core/fnv.hpp"
#include "io/png.hpp"
#include "io/tiff.hpp"

namespace fs = std::filesystem;

namespace xct {

namespace {

const char* const kPrefix = "recon_";
const char* const kH5Name = "recon.h5";
const char* const kStaging = ".partial";
const char* const kScratch = "volume.f32";
const char* const kJournal = "resume.journal";

void remove_path(const fs::path& p) {
  std::error_code ec;
  fs::remove_all(p, ec);
  XCT_CHECK(!ec, ErrorKind::OutputIO, "cannot remove ", p.string(), ": ", ec.message());
}

// Files of an earlier volume in `folder`: recon_*.tiff stacks, recon.h5, the previews, and
// the staging folder unless it is to be resumed.
void remove_old_outputs(const fs::path& folder, bool keep_staging) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    const bool slice = name.rfind(kPrefix, 0) == 0 && entry.path().extension() == ".tiff";
    if (slice || name == kH5Name || name == "previews" || (name == kStaging && !keep_staging))
      remove_path(entry.path());
  }
  XCT_CHECK(!ec, ErrorKind::OutputIO, "cannot list ", folder.string(), ": ", ec.message());
}

// What a slice's values are, in its TIFF ImageDescription: "xct reconstruction; units=1/cm;
// voxel_size_um=5" and, for uint16, "; value=offset+scale*sample; offset=...; scale=...".
std::string slice_description(const VolumeMeta& meta) {
  std::ostringstream os;
  os.precision(10);
  os << "xct reconstruction; units=" << meta.units;
  if (meta.voxel_size_um) os << "; voxel_size_um=" << *meta.voxel_size_um;
  if (meta.dtype == DType::UInt16)
    os << "; value=offset+scale*sample; offset=" << meta.value_offset
       << "; scale=" << meta.value_scale;
  return os.str();
}

// Forces a file's (or a folder's) data onto the disk.
void sync_path(const fs::path& p, bool folder = false) {
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC | (folder ? O_DIRECTORY : 0));
  XCT_CHECK(fd >= 0, ErrorKind::OutputIO, "cannot open ", p.string(), ": ", std::strerror(errno));
  const int rc = folder ? ::fsync(fd) : ::fdatasync(fd);
  const int err = errno;
  ::close(fd);
  XCT_CHECK(rc == 0, ErrorKind::OutputIO, "cannot sync ", p.string(), ": ", std::strerror(err));
}

// The journal of a resumable volume: a header line naming the run, then one line
// "slab Z0 N" per slab whose data is on the disk. A line cut short by a crash is ignored.
class Journal {
 public:
  // The slabs an earlier run recorded under `header`; nullopt when there is no such journal.
  static std::optional<std::vector<std::pair<std::size_t, std::size_t>>> read(
      const fs::path& path, const std::string& header) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.rfind(header + "\n", 0) != 0) return std::nullopt;
    std::vector<std::pair<std::size_t, std::size_t>> slabs;
    std::size_t at = header.size() + 1;
    for (std::size_t end; (end = text.find('\n', at)) != std::string::npos; at = end + 1) {
      std::istringstream line(text.substr(at, end - at));
      std::string word;
      std::size_t z0 = 0, n = 0;
      if (!(line >> word >> z0 >> n) || word != "slab" || n == 0) break;
      slabs.emplace_back(z0, n);
    }
    return slabs;
  }

  // Starts a new journal, or continues one, rewritten with only its complete records.
  Journal(fs::path path, const std::string& header,
          const std::vector<std::pair<std::size_t, std::size_t>>& kept)
      : path_(std::move(path)) {
    std::string text = header + "\n";
    for (const auto& [z0, n] : kept)
      text.append("slab ").append(std::to_string(z0)).append(" ").append(std::to_string(n)) += '\n';
    const fs::path tmp = fs::path(path_).concat(".tmp");
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << text;
      out.flush();
      XCT_CHECK(out.good(), ErrorKind::OutputIO, "cannot write ", tmp.string());
    }
    sync_path(tmp);
    std::error_code ec;
    fs::rename(tmp, path_, ec);
    XCT_CHECK(!ec, ErrorKind::OutputIO, "cannot write ", path_.string(), ": ", ec.message());
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    XCT_CHECK(fd_ >= 0, ErrorKind::OutputIO, "cannot open ", path_.string(), ": ",
              std::strerror(errno));
  }
  ~Journal() {
    if (fd_ >= 0) ::close(fd_);
  }
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Records a slab whose data is already on the disk.
  void record(std::size_t z0, std::size_t n) {
    const std::string line =
        std::string("slab ").append(std::to_string(z0)).append(" ").append(std::to_string(n)) +
        "\n";
    XCT_CHECK(::write(fd_, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                  ::fdatasync(fd_) == 0,
              ErrorKind::OutputIO, "cannot write ", path_.string(), ": ", std::strerror(errno));
  }

 private:
  fs::path path_;
  int fd_ = -1;
};

// A float32 scratch file of whole slices, written and read at any slice; `keep` continues an
// existing one.
class ScratchVolume {
 public:
  ScratchVolume(fs::path path, std::size_t slice_values, bool keep = false)
      : path_(std::move(path)), slice_bytes_(slice_values * sizeof(float)) {
    file_ = std::fopen(path_.c_str(), keep ? "r+b" : "w+b");
    XCT_CHECK(file_ != nullptr, ErrorKind::OutputIO, "cannot create ", path_.string(), ": ",
              std::strerror(errno));
  }
  ~ScratchVolume() {
    if (file_ != nullptr) std::fclose(file_);
  }
  ScratchVolume(const ScratchVolume&) = delete;
  ScratchVolume& operator=(const ScratchVolume&) = delete;

  void write(std::size_t z0, const float* data, std::size_t n_slices) {
    seek(z0);
    const std::size_t n = n_slices * slice_bytes_;
    XCT_CHECK(std::fwrite(data, 1, n, file_) == n && std::fflush(file_) == 0, ErrorKind::OutputIO,
              "cannot write ", path_.string(), ": ", std::strerror(errno));
  }
  void read(std::size_t z0, float* data, std::size_t n_slices) {
    seek(z0);
    const std::size_t n = n_slices * slice_bytes_;
    XCT_CHECK(std::fread(data, 1, n, file_) == n, ErrorKind::OutputIO, "cannot read back ",
              path_.string());
  }
  // Forces what was written onto the disk.
  void sync() {
    XCT_CHECK(std::fflush(file_) == 0 && ::fdatasync(fileno(file_)) == 0, ErrorKind::OutputIO,
              "cannot write ", path_.string(), ": ", std::strerror(errno));
  }
  std::uintmax_t slices_on_disk() const {
    std::error_code ec;
    const std::uintmax_t bytes = fs::file_size(path_, ec);
    return ec ? 0 : bytes / slice_bytes_;
  }
  void remove() {
    std::fclose(file_);
    file_ = nullptr;
    fs::remove(path_);
  }

 private:
  void seek(std::size_t z) {
    XCT_CHECK(fseeko(file_, static_cast<off_t>(z * slice_bytes_), SEEK_SET) == 0,
              ErrorKind::OutputIO, "cannot seek in ", path_.string(), ": ", std::strerror(errno));
  }
  fs::path path_;
  std::size_t slice_bytes_;
  std::FILE* file_ = nullptr;
};

}  // namespace

struct VolumeOutput::Impl {
  VolumeOutputParams params;
  std::size_t nz = 0, ny = 0, nx = 0;
  fs::path staging;
  bool finished = false;
  std::vector<bool> written;
  // Float32 straight to the final format; uint16 through the scratch volume.
  std::unique_ptr<TiffStackWriter> tiff;
  std::unique_ptr<Hdf5VolumeWriter> h5;
  std::unique_ptr<ScratchVolume> scratch;
  std::unique_ptr<Journal> journal;  // resumable runs
  std::size_t resumed = 0;
  // Whole-volume statistics and the three preview planes through the middle.
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  std::vector<double> slice_sum;  // per slice, summed in z order for the mean
  HostArray<float, 2> plane_xy, plane_xz, plane_yz;

  bool is_u16() const { return params.dtype == DType::UInt16; }
  // Slabs go through the float32 scratch volume: uint16 (scaled at the end) and resumable HDF5.
  bool staged_raw() const {
    return is_u16() || (params.format == "h5" && !params.resume_key.empty());
  }
  std::string journal_header() const;
  void open_writers(bool keep);
  void resume(const std::vector<std::pair<std::size_t, std::size_t>>& slabs);
  void collect(std::size_t z0, HostView<const float, 3> slab);
  VolumeOutputSummary convert_from_scratch(VolumeOutputSummary s);
  void write_previews(VolumeOutputSummary& s);
  void move_into_place(VolumeOutputSummary& s);
};

fs::path VolumeOutput::report_path(const fs::path& folder) {
  return folder / "report.json";
}

VolumeOutput::VolumeOutput(VolumeOutputParams params, std::size_t nz, std::size_t ny,
                           std::size_t nx)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  XCT_CHECK(params.format == "tiff" || params.format == "h5", ErrorKind::Usage,
            "unknown output format '", params.format, "' (tiff, h5)");
  XCT_CHECK(params.dtype == DType::Float32 || params.dtype == DType::UInt16, ErrorKind::Usage,
            "volumes are written as float32 or uint16");
  XCT_CHECK(nz > 0 && ny > 0 && nx > 0, ErrorKind::Internal, "empty output volume");
  if (params.uint16_range)
    XCT_CHECK(params.uint16_range->second > params.uint16_range->first, ErrorKind::Usage,
              "the uint16 range must rise: ", params.uint16_range->first, " to ",
              params.uint16_range->second);
  m.params = std::move(params);
  m.nz = nz, m.ny = ny, m.nx = nx;
  const fs::path& folder = m.params.folder;
  std::error_code ec;
  fs::create_directories(folder, ec);
  XCT_CHECK(!ec && fs::is_directory(folder), ErrorKind::OutputIO, "cannot create output folder ",
            folder.string(), ec ? ": " + ec.message() : std::string());
  if (fs::exists(report_path(folder))) {
    XCT_CHECK(m.params.overwrite, ErrorKind::Usage, folder.string(),
              " holds a finished reconstruction (report.json); pass --overwrite to replace it");
    remove_path(report_path(folder));  // from here on the folder no longer looks finished
  }
  m.staging = folder / kStaging;
  // An interrupted run of the same volume leaves its journal in the staging folder.
  std::optional<std::vector<std::pair<std::size_t, std::size_t>>> kept;
  if (!m.params.resume_key.empty()) kept = Journal::read(m.staging / kJournal, m.journal_header());
  remove_old_outputs(folder, kept.has_value());
  fs::create_directories(m.staging, ec);
  XCT_CHECK(!ec, ErrorKind::OutputIO, "cannot create ", m.staging.string(), ": ", ec.message());
  m.written.assign(nz, false);
  m.slice_sum.assign(nz, 0.0);
  m.plane_xy = HostArray<float, 2>({ny, nx}, 0.0f);
  m.plane_xz = HostArray<float, 2>({nz, nx}, 0.0f);
  m.plane_yz = HostArray<float, 2>({nz, ny}, 0.0f);
  m.open_writers(kept.has_value());
  if (kept) m.resume(*kept);
  if (!m.params.resume_key.empty()) {
    // The journal keeps the slabs read back whole; the others are written again.
    std::vector<std::pair<std::size_t, std::size_t>> held;
    for (std::size_t z = 0; z < nz;) {
      if (!m.written[z]) {
        ++z;
        continue;
      }
      const std::size_t z0 = z;
      while (z < nz && m.written[z])
        ++z;
      held.emplace_back(z0, z - z0);
    }
    m.journal = std::make_unique<Journal>(m.staging / kJournal, m.journal_header(), held);
  }
}

std::string VolumeOutput::Impl::journal_header() const {
  std::ostringstream os;
  os.precision(17);
  os << "xct-volume-journal 1 " << params.format << " " << dtype_name(params.dtype) << " " << nz
     << "x" << ny << "x" << nx;
  if (params.uint16_range)
    os << " range " << params.uint16_range->first << " " << params.uint16_range->second;
  // The key is free text: only its checksum goes on the line.
  Fnv key;
  key.add(params.resume_key + "\n" + slice_description(params.meta));
  os << " key " << key.hex();
  return os.str();
}

void VolumeOutput::Impl::open_writers(bool keep) {
  if (staged_raw()) {
    scratch = std::make_unique<ScratchVolume>(staging / kScratch, ny * nx,
                                              keep && fs::exists(staging / kScratch));
  } else if (params.format == "tiff") {
    tiff = std::make_unique<TiffStackWriter>(staging, nz, kPrefix);
    tiff->set_description(slice_description(params.meta));
  } else {
    VolumeMeta meta = params.meta;
    meta.dtype = DType::Float32;
    h5 = std::make_unique<Hdf5VolumeWriter>(staging / kH5Name, nz, ny, nx, meta);
  }
}

// Reads back the slabs an interrupted run recorded, for the statistics and previews; a slab
// that cannot be read whole is written again.
void VolumeOutput::Impl::resume(const std::vector<std::pair<std::size_t, std::size_t>>& slabs) {
  const std::uintmax_t on_disk = scratch ? scratch->slices_on_disk() : nz;
  // Blocks of the scratch volume; TIFF slices one by one, so that one bad slice costs only itself.
  const std::size_t per_block =
      scratch ? std::max<std::size_t>(1, (std::size_t{64} << 20) / (ny * nx * 4)) : 1;
  for (const auto& [z0, n] : slabs) {
    if (z0 + n > nz || z0 + n > on_disk) continue;
    for (std::size_t b = z0; b < z0 + n; b += per_block) {
      const std::size_t k = std::min(per_block, z0 + n - b);
      try {
        HostArray<float, 3> block({k, ny, nx});
        if (scratch) {
          scratch->read(b, block.data(), k);
        } else {  // k == 1: the slice's own file, by name
          const HostArray<float, 2> slice = read_tiff_image(tiff->slice_path(b));
          XCT_CHECK(slice.extent(0) == ny && slice.extent(1) == nx, ErrorKind::BadData,
                    "a staged slice has the wrong shape");
          std::copy_n(slice.data(), ny * nx, block.data());
        }
        collect(b, block.cview());
      } catch (const Error&) {
        continue;  // a slice that is not whole, or not finite: computed again
      }
    }
  }
  resumed = static_cast<std::size_t>(std::count(written.begin(), written.end(), true));
}

VolumeOutput::~VolumeOutput() {
  if (impl_ && !impl_->finished) {
    impl_->journal.reset();
    impl_->tiff.reset();
    impl_->h5.reset();
    impl_->scratch.reset();
    std::error_code ec;
    fs::remove_all(impl_->staging, ec);
  }
}

const fs::path& VolumeOutput::folder() const {
  return impl_->params.folder;
}

const fs::path& VolumeOutput::staging() const {
  return impl_->staging;
}

void VolumeOutput::Impl::collect(std::size_t z0, HostView<const float, 3> slab) {
  const std::size_t n = slab.extent(0);
  // Per slice, in parallel: its range and sum (kept per slice, so that the mean does not
  // depend on the order in which slabs arrive), its lines of the preview planes.
  std::vector<double> lo(n, min), hi(n, max);
  std::vector<std::size_t> bad(n, ny * nx);
#pragma omp parallel for schedule(dynamic, 1)
  for (std::ptrdiff_t ii = 0; ii < static_cast<std::ptrdiff_t>(n); ++ii) {
    const auto i = static_cast<std::size_t>(ii);
    const float* v = &slab(i, 0, 0);
    float l = std::numeric_limits<float>::infinity(), h = -l;
    double s = 0;
    std::size_t first_bad = ny * nx;
    for (std::size_t y = 0; y < ny; ++y) {
      double row = 0;
      for (std::size_t x = 0; x < nx; ++x) {
        const float f = v[y * nx + x];
        if (!std::isfinite(f) && first_bad == ny * nx) first_bad = y * nx + x;
        l = std::min(l, f);
        h = std::max(h, f);
        row += f;
      }
      s += row;
    }
    const std::size_t z = z0 + i;
    bad[i] = first_bad;
    lo[i] = std::min<double>(lo[i], l);
    hi[i] = std::max<double>(hi[i], h);
    slice_sum[z] = s;
    if (z == nz / 2) std::copy_n(v, ny * nx, plane_xy.data());
    std::copy_n(v + (ny / 2) * nx, nx, &plane_xz(z, 0));
    for (std::size_t y = 0; y < ny; ++y)
      plane_yz(z, y) = v[y * nx + nx / 2];
  }
  for (std::size_t i = 0; i < n; ++i) {
    XCT_CHECK(bad[i] == ny * nx, ErrorKind::Internal, "slice ", z0 + i,
              " holds a non-finite value at (", bad[i] / nx, ", ", bad[i] % nx, ")");
    min = std::min(min, lo[i]);
    max = std::max(max, hi[i]);
    written[z0 + i] = true;
  }
}

void VolumeOutput::write_slab(std::size_t z0, HostView<const float, 3> slab) {
  Impl& m = *impl_;
  XCT_CHECK(!m.finished, ErrorKind::Internal, "volume already finished");
  XCT_CHECK(slab.is_contiguous() && slab.extent(1) == m.ny && slab.extent(2) == m.nx &&
                z0 + slab.extent(0) <= m.nz,
            ErrorKind::Internal, "slab at z ", z0, " does not fit the output volume");
  m.collect(z0, slab);
  const std::size_t n = slab.extent(0);
  if (m.scratch) {
    m.scratch->write(z0, slab.data(), n);
  } else if (m.tiff) {
    m.tiff->write_slab(z0, slab);
  } else {
    m.h5->write_slab(z0, slab);
  }
  if (m.journal) {
    // The data on the disk first, then its record.
    if (m.scratch) {
      m.scratch->sync();
    } else {
      for (std::size_t z = z0; z < z0 + n; ++z)
        sync_path(m.tiff->slice_path(z));
      sync_path(m.staging, true);
    }
    m.journal->record(z0, n);
  }
}

bool VolumeOutput::holds(std::size_t z0, std::size_t n) const {
  const Impl& m = *impl_;
  if (m.resumed == 0 || z0 + n > m.nz) return false;
  return std::all_of(m.written.begin() + static_cast<std::ptrdiff_t>(z0),
                     m.written.begin() + static_cast<std::ptrdiff_t>(z0 + n),
                     [](bool w) { return w; });
}

std::size_t VolumeOutput::resumed_slices() const {
  return impl_->resumed;
}

// The final file(s) from the float32 scratch volume: uint16 samples scaled from the whole
// volume's range, or float32 values as they are (HDF5).
VolumeOutputSummary VolumeOutput::Impl::convert_from_scratch(VolumeOutputSummary s) {
  const std::size_t per_block = std::max<std::size_t>(1, (std::size_t{4} << 20) / (ny * nx * 4));
  HostArray<float, 3> values({std::min(per_block, nz), ny, nx});
  if (!is_u16()) {
    VolumeMeta meta = params.meta;
    meta.dtype = DType::Float32;
    h5 = std::make_unique<Hdf5VolumeWriter>(staging / kH5Name, nz, ny, nx, meta);
    for (std::size_t z0 = 0; z0 < nz; z0 += per_block) {
      const std::size_t n = std::min(per_block, nz - z0);
      scratch->read(z0, values.data(), n);
      h5->write_slab(z0, HostView<const float, 3>(values.data(), {n, ny, nx}));
    }
    scratch->remove();
    scratch.reset();
    return s;
  }
  const auto [lo, hi] =
      params.uint16_range.value_or(std::pair<double, double>{min, max > min ? max : min + 1.0});
  s.uint16_offset = lo;
  s.uint16_scale = (hi - lo) / 65535.0;
  VolumeMeta meta = params.meta;
  meta.dtype = DType::UInt16;
  meta.value_offset = s.uint16_offset;
  meta.value_scale = s.uint16_scale;
  if (params.format == "h5")
    h5 = std::make_unique<Hdf5VolumeWriter>(staging / kH5Name, nz, ny, nx, meta);
  const TiffStackWriter names(staging, nz, kPrefix);
  HostArray<std::uint16_t, 3> samples({std::min(per_block, nz), ny, nx});
  for (std::size_t z0 = 0; z0 < nz; z0 += per_block) {
    const std::size_t n = std::min(per_block, nz - z0);
    scratch->read(z0, values.data(), n);
    for (std::size_t i = 0; i < n * ny * nx; ++i) {
      const double u = std::round((values.data()[i] - lo) / s.uint16_scale);
      if (u < 0) ++s.clipped_low;
      if (u > 65535) ++s.clipped_high;
      samples.data()[i] = static_cast<std::uint16_t>(std::clamp(u, 0.0, 65535.0));
    }
    if (h5) {
      h5->write_slab(z0, HostView<const std::uint16_t, 3>(samples.data(), {n, ny, nx}));
    } else {
      for (std::size_t i = 0; i < n; ++i)
        write_tiff_pages(names.slice_path(z0 + i), DType::UInt16, &samples(i, 0, 0), 1, ny, nx,
                         false, slice_description(meta));
    }
  }
  scratch->remove();
  scratch.reset();
  return s;
}

void VolumeOutput::Impl::write_previews(VolumeOutputSummary& s) {
  const fs::path dir = staging / "previews";
  const std::string mid_z = std::to_string(nz / 2), mid_y = std::to_string(ny / 2),
                    mid_x = std::to_string(nx / 2);
  const std::pair<std::string, const HostArray<float, 2>*> planes[] = {
      {"xy_z" + mid_z + ".png", &plane_xy},
      {"xz_y" + mid_y + ".png", &plane_xz},
      {"yz_x" + mid_x + ".png", &plane_yz}};
  for (const auto& [name, plane] : planes) {
    write_png_preview(dir / name, plane->cview());
    s.previews.push_back(params.folder / "previews" / name);
  }
}

void VolumeOutput::Impl::move_into_place(VolumeOutputSummary& s) {
  const fs::path& folder = params.folder;
  std::error_code ec;
  if (params.format == "h5") {
    fs::rename(staging / kH5Name, folder / kH5Name, ec);
    XCT_CHECK(!ec, ErrorKind::OutputIO, "cannot move ", kH5Name, " into ", folder.string(), ": ",
              ec.message());
    s.files.push_back(folder / kH5Name);
  } else {
    const TiffStackWriter from(staging, nz, kPrefix), to(folder, nz, kPrefix);
    for (std::size_t z = 0; z < nz; ++z) {
      fs::rename(from.slice_path(z), to.slice_path(z), ec);
      XCT_CHECK(!ec, ErrorKind::OutputIO, "cannot move ", from.slice_path(z).string(), " to ",
                folder.string(), ": ", ec.message());
      s.files.push_back(to.slice_path(z));
    }
  }
  fs::rename(staging / "previews", folder / "previews", ec);
  XCT_CHECK(!ec, ErrorKind::OutputIO, "cannot move the previews into ", folder.string(), ": ",
            ec.message());
  remove_path(staging);
}

VolumeOutputSummary VolumeOutput::finish() {
  Impl& m = *impl_;
  XCT_CHECK(!m.finished, ErrorKind::Internal, "volume already finished");
  const auto missing = std::find(m.written.begin(), m.written.end(), false);
  XCT_CHECK(missing == m.written.end(), ErrorKind::Internal, "slice ", missing - m.written.begin(),
            " of the volume was never written");
  VolumeOutputSummary s;
  s.nz = m.nz, s.ny = m.ny, s.nx = m.nx;
  s.min = m.min, s.max = m.max;
  double sum = 0;
  for (double v : m.slice_sum)
    sum += v;
  s.mean = sum / static_cast<double>(m.nz * m.ny * m.nx);
  s.resumed_slices = m.resumed;
  if (m.scratch) s = m.convert_from_scratch(s);
  m.journal.reset();
  if (m.h5) {
    m.h5->commit();
    m.h5.reset();
  }
  m.write_previews(s);
  m.move_into_place(s);
  m.finished = true;
  return s;
}

}  // namespace xct
