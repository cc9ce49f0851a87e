// Raw scans stored as TIFF files. Where each role lives comes from the LayoutSpec when given,
// else from the folder conventions in use at beamlines (UFO/tofu "CT directory": tomo/, flats/,
// darks/; Savu exports: tiffs/ beside flat_*.tiff and dark_*.tiff). Files are ordered by the
// last integer in their names, so raw_9.tif comes before raw_10.tif. Opening reads every
// file's header (cheap, even for thousands of files) so that a file of another shape or type
// is reported by name before any processing starts; pixels are read only on request.
#include "io/tiff_scan.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/angles.hpp"
#include "io/tiff.hpp"
#include "io/tiff_files.hpp"

namespace fs = std::filesystem;

namespace xct {

using tiff_detail::discover;
using tiff_detail::order_files;
using tiff_detail::resolve_role;
using tiff_detail::RoleFiles;

namespace {

// Per-role arrays below are indexed by FrameRole.
static_assert(static_cast<int>(FrameRole::Projection) == 0 &&
              static_cast<int>(FrameRole::Flat) == 1 && static_cast<int>(FrameRole::Dark) == 2);

// One frame: a page of one of the role's files.
struct FrameSource {
  std::size_t file = 0;
  std::size_t page = 0;
};

struct RoleFrames {
  std::vector<fs::path> files;
  std::vector<FrameSource> frames;
};

std::string display_path(const fs::path& p, const fs::path& base) {
  const fs::path rel = p.lexically_relative(base);
  if (rel.empty() || *rel.begin() == "..") return p.string();
  return rel.string();
}

// "tiffs/ (91 files raw_00000.tiff..raw_00090.tiff)" or "stack.tif (180 pages)".
std::string where_text(const RoleFrames& r, const fs::path& base) {
  const std::size_t n_frames = r.frames.size();
  const std::string pages = n_frames == 1 ? "" : std::to_string(n_frames) + " pages";
  if (r.files.size() == 1) {
    return display_path(r.files[0], base) + (pages.empty() ? "" : " (" + pages + ")");
  }
  const fs::path dir = r.files.front().parent_path();
  const bool one_dir = std::all_of(r.files.begin(), r.files.end(),
                                   [&](const fs::path& f) { return f.parent_path() == dir; });
  std::string s = one_dir ? display_path(dir, base) + "/ (" : "(";
  s += std::to_string(r.files.size()) + " files " + r.files.front().filename().string() + ".." +
       r.files.back().filename().string();
  if (n_frames != r.files.size()) s += ", " + pages;
  return s + ")";
}

std::string shape_text(const TiffImageInfo& t) {
  return std::to_string(t.n_rows) + " x " + std::to_string(t.n_cols) + " " + dtype_name(t.dtype);
}

// Reads every file's header: all must share shape and type; each page is a frame.
StackInfo describe_role(FrameRole role, std::vector<fs::path> files, const fs::path& base,
                        RoleFrames& frames) {
  StackInfo s;
  frames.files = std::move(files);
  if (frames.files.empty()) return s;
  TiffImageInfo first;
  for (std::size_t i = 0; i < frames.files.size(); ++i) {
    const TiffImageInfo t = tiff_info(frames.files[i]);
    if (i == 0) first = t;
    XCT_CHECK(t.n_rows == first.n_rows && t.n_cols == first.n_cols && t.dtype == first.dtype,
              ErrorKind::BadData, role_name(role), " file ", frames.files[i].string(), " is ",
              shape_text(t), " but ", frames.files[0].filename().string(), " is ",
              shape_text(first));
    for (std::size_t p = 0; p < t.n_pages; ++p)
      frames.frames.push_back({i, p});
  }
  s.present = true;
  s.n_frames = frames.frames.size();
  s.n_rows = first.n_rows;
  s.n_cols = first.n_cols;
  s.dtype = first.dtype;
  s.where = where_text(frames, base);
  return s;
}

std::string lines_text(const AngleSpec& a) {
  if (a.first_line == 0 && a.last_line == 0) return "all lines";
  return "lines " + (a.first_line ? std::to_string(a.first_line) : std::string("1")) + "-" +
         (a.last_line ? std::to_string(a.last_line) : std::string("end"));
}

void fill_angles(ScanInfo& info, const AngleSpec& a, const fs::path& base) {
  switch (a.kind) {
    case AngleSpec::Kind::Dataset:
      XCT_THROW(ErrorKind::Usage, "angles from an HDF5 dataset do not apply to a TIFF scan; ",
                "give a text file or a range");
    case AngleSpec::Kind::TextFile:
      set_scan_angles(info, angles_from_spec(a, base, info.n_proj()), a.degrees,
                      a.file + " (" + lines_text(a) + ")");
      return;
    case AngleSpec::Kind::Range: {
      auto v = angles_from_spec(a, base, info.n_proj());
      const std::string where =
          detail::concat("range ", a.start, " to ", a.stop, " (", v.size(),
                         a.endpoint ? " values, with" : " values, without", " the end point)");
      set_scan_angles(info, std::move(v), a.degrees, where);
      return;
    }
    case AngleSpec::Kind::Auto:
      break;
  }
  // TIFF files do not hold angles; a text file beside them is the common convention. Its
  // unit is not recorded: degrees, as Data Exchange stores them (`xct check` flags values
  // that look like radians).
  for (const char* name : {"angles.txt", "angles.csv", "theta.txt"}) {
    std::error_code ec;
    if (!fs::is_regular_file(base / name, ec)) continue;
    auto v = read_angle_text(base / name);
    const std::string where = detail::concat(name, " (all ", v.size(), " lines, as degrees)");
    set_scan_angles(info, std::move(v), true, where);
    return;
  }
}

class TiffScanReader final : public ScanReader {
 public:
  TiffScanReader(ScanInfo info, std::array<RoleFrames, 3> roles)
      : info_(std::move(info)), roles_(std::move(roles)) {}

  const ScanInfo& info() const override { return info_; }

  void read_frames(FrameRole role, Range frames, Range rows, DType out_type, void* out) override {
    check_request(role, frames, rows, out_type);
    const StackInfo& s = stack(role);
    const RoleFrames& r = roles_[static_cast<std::size_t>(role)];
    const std::size_t frame_bytes = rows.size() * s.n_cols * dtype_size(out_type);
    auto* dst = static_cast<std::uint8_t*>(out);
    for (std::size_t f = frames.begin; f < frames.end; ++f) {
      const FrameSource& src = r.frames[f];
      TiffFile& file = file_for(r.files[src.file], s, role);
      file.read_rows(src.page, rows, out_type, dst + (f - frames.begin) * frame_bytes);
    }
  }

 private:
  // The last file read stays open: consecutive pages of a multi-page file need no reopening.
  TiffFile& file_for(const fs::path& path, const StackInfo& s, FrameRole role) {
    if (open_ && open_->path() == path) return *open_;
    open_.reset();
    auto file = std::make_unique<TiffFile>(path);
    const TiffImageInfo& t = file->info();
    XCT_CHECK(t.n_rows == s.n_rows && t.n_cols == s.n_cols && t.dtype == s.dtype,
              ErrorKind::BadData, role_name(role), " file ", path.string(),
              " changed since the scan was opened: it is now ", shape_text(t));
    open_ = std::move(file);
    return *open_;
  }

  ScanInfo info_;
  std::array<RoleFrames, 3> roles_;  // indexed by FrameRole
  std::unique_ptr<TiffFile> open_;
};

}  // namespace

bool looks_like_tiff_scan(const fs::path& input) {
  std::error_code ec;
  if (!fs::is_directory(input, ec)) return false;
  try {
    return !discover(input).projections.empty();
  } catch (const Error&) {
    return false;  // an unreadable folder is no scan of ours; open_tiff_scan says why
  }
}

std::unique_ptr<ScanReader> open_tiff_scan(const fs::path& input, const LayoutSpec& spec,
                                           Logger& log) {
  std::error_code ec;
  XCT_CHECK(fs::exists(input, ec), ErrorKind::InputMissing, "input not found: ", input.string());
  const fs::path base = base_dir_of(input);
  RoleFiles files;
  if (fs::is_directory(input, ec)) {
    files = discover(input);
  } else {
    files.projections = {input};  // a multi-page projection stack
  }
  const std::array<const RoleSpec*, 3> given = {&spec.projections, &spec.flats, &spec.darks};
  std::array<std::vector<fs::path>*, 3> lists = {&files.projections, &files.flats, &files.darks};
  for (std::size_t i = 0; i < 3; ++i) {
    const auto role = static_cast<FrameRole>(i);
    if (!given[i]->dataset.empty()) {
      log.warn("the dataset given for ", role_name(role), " is ignored: TIFF files have none");
    }
    if (!given[i]->file.empty()) *lists[i] = resolve_role(base, given[i]->file, role);
  }
  XCT_CHECK(!files.projections.empty(), ErrorKind::BadData, "no TIFF projections found in ",
            input.string());

  ScanInfo info;
  info.layout = "tiff-stack";
  info.source = input;
  std::array<RoleFrames, 3> roles;
  StackInfo* stacks[3] = {&info.projections, &info.flats, &info.darks};
  for (std::size_t i = 0; i < 3; ++i) {
    const auto role = static_cast<FrameRole>(i);
    *stacks[i] = describe_role(role, order_files(*lists[i], role, info.warnings), base, roles[i]);
    log.debug(role_name(role), ": ", stacks[i]->present ? stacks[i]->where : "none found");
  }
  // Flats or darks of another frame shape are described as they are; `xct check` reports the
  // mismatch together with every other problem.
  fill_angles(info, spec.angles, base);
  info.pixel_size_um = spec.pixel_size_um;
  info.energy_kev = spec.energy_kev;
  info.distance_mm = spec.distance_mm;
  return std::make_unique<TiffScanReader>(std::move(info), std::move(roles));
}

}  // namespace xct
