#include "io/hdf5_reader.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "io/angles.hpp"

namespace fs = std::filesystem;

namespace xct::hdf5_detail {

FileSet::FileSet(const fs::path& input) : base_dir_(base_dir_of(input)) {
  main_ = add(input, "input");
}

std::shared_ptr<h5::File> FileSet::open(const std::string& name, const std::string& what) {
  return add(resolve_path(base_dir_, name), what);
}

std::shared_ptr<h5::File> FileSet::add(const fs::path& path, const std::string& what) {
  std::error_code ec;
  const std::string key = fs::weakly_canonical(path, ec).string();
  if (auto it = files_.find(key); it != files_.end()) return it->second;
  XCT_CHECK(fs::exists(path, ec), ErrorKind::InputMissing, what, " not found: ", path.string());
  auto file = std::make_shared<h5::File>(h5::open_file(path));
  files_.emplace(key, file);
  return file;
}

// ---- the reader ----------------------------------------------------------------------------

Hdf5ScanReader::Hdf5ScanReader(ScanInfo info, RoleSource projections, RoleSource flats,
                               RoleSource darks)
    : info_(std::move(info)),
      projections_(std::move(projections)),
      flats_(std::move(flats)),
      darks_(std::move(darks)) {}

const RoleSource& Hdf5ScanReader::source(FrameRole role) const {
  switch (role) {
    case FrameRole::Flat:
      return flats_;
    case FrameRole::Dark:
      return darks_;
    case FrameRole::Projection:
      break;
  }
  return projections_;
}

h5::DirectStack* Hdf5ScanReader::direct(FrameRole role) {
  const RoleSource& src = source(role);
  if (!src.dataset) return nullptr;
  auto& d = direct_[static_cast<std::size_t>(role)];
  if (!d) d = std::make_unique<h5::DirectStack>(src.dataset);
  return d.get();
}

std::size_t Hdf5ScanReader::direct_reads(FrameRole role) const {
  const auto& d = direct_[static_cast<std::size_t>(role)];
  return d ? d->reads() : 0;
}

void Hdf5ScanReader::read_frames(FrameRole role, Range frames, Range rows, DType out_type,
                                 void* out) {
  check_request(role, frames, rows, out_type);
  const StackInfo& s = stack(role);
  const RoleSource& src = source(role);
  if (frames.size() == 0 || rows.size() == 0) return;
  const auto at = [&](std::size_t k) { return src.stack_frames.empty() ? k : src.stack_frames[k]; };
  if (h5::DirectStack* d = direct_enabled_ ? direct(role) : nullptr; d && d->usable()) {
    std::vector<std::size_t> stack_frames(frames.size());
    for (std::size_t k = 0; k < frames.size(); ++k)
      stack_frames[k] = src.single_frame_2d ? 0 : at(frames.begin + k);
    if (d->read(stack_frames, rows.begin, rows.end, out_type, out)) return;
  }
  const hid_t mem = h5::native_type(out_type);
  if (src.single_frame_2d) {
    h5::read_block(*src.dataset, {rows.begin, 0}, {rows.size(), s.n_cols}, mem, out);
    return;
  }
  const std::size_t frame_bytes = rows.size() * s.n_cols * dtype_size(out_type);
  auto* dst = static_cast<unsigned char*>(out);
  // Runs of consecutive stack frames are read with one hyperslab each.
  for (std::size_t i = frames.begin; i < frames.end;) {
    std::size_t j = i + 1;
    while (j < frames.end && at(j) == at(j - 1) + 1)
      ++j;
    h5::read_block(*src.dataset, {at(i), rows.begin, 0}, {j - i, rows.size(), s.n_cols}, mem,
                   dst + (i - frames.begin) * frame_bytes);
    i = j;
  }
}

// ---- roles ---------------------------------------------------------------------------------

StackInfo describe_stack(const h5::File& file, const std::string& path, const h5::Dataset& dataset,
                         bool allow_single_frame) {
  const h5::DatasetInfo d = h5::dataset_info(dataset);
  const std::string where = file.where(path);
  const bool single = allow_single_frame && d.rank() == 2;
  XCT_CHECK(d.rank() == 3 || single, ErrorKind::BadData, where, " has ", d.rank(),
            " dimensions; a frame stack needs 3 (frames, rows, cols)");
  const auto dtype = d.scan_dtype();
  XCT_CHECK(dtype.has_value(), ErrorKind::BadData, where, " holds ", d.type_name(),
            " samples: unsupported data type (uint8, uint16 or float32 expected)");
  StackInfo s;
  s.present = true;
  s.n_frames = single ? 1 : d.shape[0];
  s.n_rows = d.shape[single ? 0 : 1];
  s.n_cols = d.shape[single ? 1 : 2];
  // No detector has frames this large or scans this many: a corrupt file, refused before
  // anything is allocated from its numbers.
  constexpr std::size_t kMaxSide = std::size_t{1} << 17, kMaxFrames = std::size_t{1} << 24;
  XCT_CHECK(s.n_rows <= kMaxSide && s.n_cols <= kMaxSide && s.n_frames <= kMaxFrames,
            ErrorKind::BadData, where, " declares ", s.n_frames, " frames of ", s.n_rows, " x ",
            s.n_cols, " pixels, more than any detector records: a corrupt file");
  s.dtype = *dtype;
  s.where = where;
  if (!d.chunk.empty()) s.chunk_rows = d.chunk[d.rank() - 2];
  s.compressed = d.filtered;
  return s;
}

namespace {

StackInfo& stack_of(ScanInfo& info, FrameRole role) {
  if (role == FrameRole::Flat) return info.flats;
  if (role == FrameRole::Dark) return info.darks;
  return info.projections;
}

}  // namespace

RoleSource open_role(FileSet& files, const std::shared_ptr<h5::File>& main,
                     const RoleSpec& role_spec, const std::string& default_path, FrameRole role,
                     Need need, ScanInfo& info, Logger& log) {
  const bool explicit_spec = !role_spec.empty();
  const std::string what = std::string(role_name(role));
  XCT_CHECK(!explicit_spec || !role_spec.dataset.empty() || !default_path.empty(), ErrorKind::Usage,
            "the ", what, " need a dataset path");
  RoleSource src;
  src.file = role_spec.file.empty() ? main : files.open(role_spec.file, what + " file");
  const std::string path = role_spec.dataset.empty() ? default_path : role_spec.dataset;
  if (auto problem = h5::path_problem(*src.file, path)) {
    const bool dangling = problem->kind == h5::PathProblem::Kind::DanglingExternal;
    const std::string line =
        "no " + what + " dataset " + src.file->where(path) + ": " + problem->message();
    if (need == Need::Required) {
      XCT_THROW(dangling ? ErrorKind::InputMissing : ErrorKind::BadData, line);
    }
    if (explicit_spec && !dangling) XCT_THROW(ErrorKind::BadData, line);
    // An optional role at its usual path may simply be absent; a dangling link is reported.
    if (problem->kind != h5::PathProblem::Kind::Missing) {
      info.problems.push_back(line);
      stack_of(info, role).absent_reason = line;
      stack_of(info, role).absent_file_missing = dangling;
    }
    log.debug(line);
    return RoleSource{};
  }
  src.dataset = std::make_shared<h5::Dataset>(h5::open_dataset(*src.file, path));
  StackInfo& s = stack_of(info, role);
  s = describe_stack(*src.file, path, *src.dataset, role != FrameRole::Projection);
  src.single_frame_2d = h5::dataset_info(*src.dataset).rank() == 2;
  log.debug(what, ": ", s.where, " (", s.n_frames, " x ", s.n_rows, " x ", s.n_cols, " ",
            dtype_name(s.dtype), ")");
  return src;
}

// ---- angles --------------------------------------------------------------------------------

bool units_are_radians(hid_t object) {
  auto units = h5::read_string_attribute(object, "units");
  if (!units) return false;
  std::string u = *units;
  std::transform(u.begin(), u.end(), u.begin(), [](unsigned char c) { return std::tolower(c); });
  return u == "rad" || u == "radian" || u == "radians";
}

bool angles_from_layout(const LayoutSpec& spec, FileSet& files,
                        const std::shared_ptr<h5::File>& main, ScanInfo& info) {
  const AngleSpec& a = spec.angles;
  switch (a.kind) {
    case AngleSpec::Kind::Auto:
      return false;
    case AngleSpec::Kind::Dataset: {
      XCT_CHECK(!a.dataset.empty(), ErrorKind::Usage, "angles from a dataset need its path");
      auto file = a.file.empty() ? main : files.open(a.file, "angles file");
      h5::Dataset d = h5::open_dataset(*file, a.dataset);
      set_scan_angles(info, h5::read_doubles(d), a.degrees, file->where(a.dataset));
      return true;
    }
    case AngleSpec::Kind::TextFile: {
      std::ostringstream where;
      where << resolve_path(files.base_dir(), a.file).string();
      if (a.first_line || a.last_line) {
        where << " (lines " << (a.first_line ? a.first_line : 1) << "-";
        if (a.last_line) where << a.last_line;
        where << ")";
      }
      set_scan_angles(info, angles_from_spec(a, files.base_dir(), info.n_proj()), a.degrees,
                      where.str());
      return true;
    }
    case AngleSpec::Kind::Range: {
      std::ostringstream where;
      where << "range " << a.start << " to " << a.stop << (a.endpoint ? " inclusive" : " exclusive")
            << ", " << (a.count ? a.count : info.n_proj()) << " values";
      set_scan_angles(info, angles_from_spec(a, files.base_dir(), info.n_proj()), a.degrees,
                      where.str());
      return true;
    }
  }
  return false;
}

// ---- metadata ------------------------------------------------------------------------------

namespace {

// The factor from `units` to the quantity's unit; nullopt for units not understood.
std::optional<double> unit_factor(std::string u, Quantity q) {
  std::transform(u.begin(), u.end(), u.begin(), [](unsigned char c) { return std::tolower(c); });
  if (q == Quantity::EnergyKeV) {
    if (u == "kev") return 1.0;
    if (u == "ev") return 1e-3;
    if (u == "mev") return 1e3;
    return std::nullopt;
  }
  double um = 0;
  if (u == "um" || u == "\xc2\xb5m" || u == "micron" || u == "microns" || u == "micrometer" ||
      u == "micrometre" || u == "micrometers" || u == "micrometres") {
    um = 1;
  } else if (u == "nm") {
    um = 1e-3;
  } else if (u == "mm") {
    um = 1e3;
  } else if (u == "cm") {
    um = 1e4;
  } else if (u == "m" || u == "meter" || u == "metre" || u == "meters" || u == "metres") {
    um = 1e6;
  } else {
    return std::nullopt;
  }
  return q == Quantity::LengthUm ? um : um * 1e-3;
}

}  // namespace

std::optional<double> read_quantity(const h5::File& file, const std::string& path, Quantity q,
                                    double default_factor) {
  if (h5::object_kind(file, path) != h5::ObjectKind::Dataset) return std::nullopt;
  h5::Dataset d = h5::open_dataset(file, path);
  const h5::DatasetInfo di = h5::dataset_info(d);
  if (di.type_class != h5::TypeClass::Integer && di.type_class != h5::TypeClass::Float) {
    return std::nullopt;
  }
  if (di.rank() > 1 || di.n_elements() == 0) return std::nullopt;
  const double value = h5::read_doubles(d).front();
  double factor = default_factor;
  if (auto units = h5::read_string_attribute(d.id(), "units"); units && !units->empty()) {
    const auto f = unit_factor(*units, q);
    if (!f) return std::nullopt;
    factor = *f;
  }
  return value * factor;
}

std::optional<double> first_quantity(const h5::File& file, const std::vector<std::string>& paths,
                                     Quantity q, double default_factor) {
  for (const auto& p : paths) {
    if (auto v = read_quantity(file, p, q, default_factor)) return v;
  }
  return std::nullopt;
}

std::string top_group(const std::string& path) {
  const std::size_t start = path.find_first_not_of('/');
  if (start == std::string::npos) return "/";
  const std::size_t end = path.find('/', start);
  std::string out = "/";
  if (end != std::string::npos) out.append(path, start, end - start);
  return out;
}

void apply_overrides(const LayoutSpec& spec, ScanInfo& info) {
  if (spec.pixel_size_um) info.pixel_size_um = spec.pixel_size_um;
  if (spec.energy_kev) info.energy_kev = spec.energy_kev;
  if (spec.distance_mm) info.distance_mm = spec.distance_mm;
}

}  // namespace xct::hdf5_detail
