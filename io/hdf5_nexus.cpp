// NeXus scans: one frame stack whose frames an image_key sorts into projections (0), flats
// (1), darks (2) and invalid frames (3), with a rotation angle per frame. The reader maps each
// role's frames onto the stack; acquisition_index keeps their positions, so flats taken
// before and after the projections can be told apart.
#include <map>
#include <sstream>

#include "io/angles.hpp"
#include "io/hdf5.hpp"
#include "io/hdf5_reader.hpp"
#include "io/hdf5_scan.hpp"

namespace fs = std::filesystem;

namespace xct {

using namespace hdf5_detail;

namespace {

struct KeyedFrames {
  std::vector<std::size_t> proj, flat, dark;
};

// Without a key every frame is a projection; the key is needed to tell them apart, so one
// behind a dangling link is fatal (open_dataset throws InputMissing).
std::vector<std::int64_t> read_image_key(const h5::File& file, const std::string& path,
                                         std::size_t n_frames, ScanInfo& info) {
  if (path.empty()) {
    info.problems.push_back("no image_key found in " + file.path().string() +
                            "; every frame is taken as a projection");
    return std::vector<std::int64_t>(n_frames, 0);
  }
  const h5::Dataset d = h5::open_dataset(file, path);
  const std::size_t n = h5::dataset_info(d).n_elements();
  XCT_CHECK(n == n_frames, ErrorKind::BadData, file.where(path), " has ", n, " values for the ",
            n_frames, " frames of the stack");
  return h5::read_ints(d);
}

KeyedFrames sort_frames(const std::vector<std::int64_t>& key, const std::string& where,
                        ScanInfo& info) {
  KeyedFrames f;
  std::map<std::int64_t, std::size_t> unknown;
  for (std::size_t i = 0; i < key.size(); ++i) {
    switch (key[i]) {
      case 0:
        f.proj.push_back(i);
        break;
      case 1:
        f.flat.push_back(i);
        break;
      case 2:
        f.dark.push_back(i);
        break;
      case 3:  // invalid frame, skipped by definition
        break;
      default:
        ++unknown[key[i]];
    }
  }
  if (!unknown.empty()) {
    std::ostringstream os;
    os << where << " has unknown image_key values (";
    bool first = true;
    for (const auto& [value, count] : unknown) {
      os << (first ? "" : ", ") << value << " x " << count;
      first = false;
    }
    os << "); those frames were skipped";
    info.problems.push_back(os.str());
  }
  return f;
}

StackInfo role_stack(const StackInfo& stack, const std::vector<std::size_t>& frames, int key) {
  StackInfo s = stack;
  s.present = !frames.empty();
  s.n_frames = frames.size();
  s.where = stack.where + " (image_key " + std::to_string(key) + ")";
  s.acquisition_index = frames;
  return s;
}

// Angles per frame are narrowed to the projections; a list of one angle per projection is
// taken as it is; any other length is kept as found and reported.
void read_angles(const h5::File& file, const std::string& path, bool explicit_path,
                 const KeyedFrames& f, std::size_t n_frames, ScanInfo& info) {
  if (path.empty()) return;
  if (auto problem = h5::path_problem(file, path)) {
    XCT_CHECK(!explicit_path || problem->kind != h5::PathProblem::Kind::Missing, ErrorKind::BadData,
              "no angles dataset ", file.where(path));
    info.problems.push_back("no angles: " + problem->message());
    return;
  }
  const h5::Dataset d = h5::open_dataset(file, path);
  std::vector<double> all = h5::read_doubles(d);
  std::vector<double> angles;
  if (all.size() == n_frames) {
    for (std::size_t i : f.proj)
      angles.push_back(all[i]);
  } else {
    if (all.size() != f.proj.size()) {
      info.problems.push_back(file.where(path) + " has " + std::to_string(all.size()) +
                              " angles for a stack of " + std::to_string(n_frames) + " frames");
    }
    angles = std::move(all);
  }
  set_scan_angles(info, std::move(angles), !units_are_radians(d.id()), file.where(path));
}

// x_pixel_size with its units; with none, a value below 1e-3 can only be metres (a pixel is
// never smaller than a nanometre), anything else is taken as micrometres.
std::optional<double> pixel_size(const h5::File& file, const std::string& path) {
  auto v = read_quantity(file, path, Quantity::LengthUm);
  if (!v) return v;
  const h5::Dataset d = h5::open_dataset(file, path);
  if (!h5::has_attribute(d.id(), "units") && *v < 1e-3) return *v * 1e6;
  return v;
}

void read_metadata(const h5::File& file, const std::string& entry, const std::string& data_path,
                   ScanInfo& info) {
  const std::vector<std::string> detectors = {h5::parent_path(data_path),
                                              h5::join_path(entry, "instrument/detector")};
  for (const auto& det : detectors) {
    if (!info.pixel_size_um)
      info.pixel_size_um = pixel_size(file, h5::join_path(det, "x_pixel_size"));
    if (!info.distance_mm) {
      info.distance_mm = read_quantity(file, h5::join_path(det, "distance"), Quantity::LengthMm);
    }
  }
  info.energy_kev = first_quantity(file,
                                   {h5::join_path(entry, "instrument/monochromator/energy"),
                                    h5::join_path(entry, "beam/incident_energy")},
                                   Quantity::EnergyKeV);
}

// The frame stack's path: given, or discovered. With none found, the links that do not
// resolve are the likely reason: a linked file that exists but cannot be opened (locked,
// truncated) throws its own error here, missing files make the input missing.
std::string stack_path(const h5::File& file, const LayoutSpec& spec, const NexusPaths& paths) {
  if (!spec.nexus_data.empty()) return spec.nexus_data;
  if (!paths.data.empty()) return paths.data;
  std::string reasons;
  bool missing_file = false;
  for (const auto& link : paths.dangling) {
    if (auto problem = h5::path_problem(file, link)) {
      missing_file |= problem->kind == h5::PathProblem::Kind::DanglingExternal;
      reasons += (reasons.empty() ? "" : "; ") + problem->message();
    }
  }
  XCT_CHECK(reasons.empty(), missing_file ? ErrorKind::InputMissing : ErrorKind::BadData,
            "no frame stack found in ", file.path().string(), ": ", reasons);
  XCT_THROW(ErrorKind::BadData, "no NeXus frame stack (a 3-D dataset) found in ",
            file.path().string(), "; name it with nexus_data");
}

}  // namespace

std::unique_ptr<ScanReader> open_nexus(const fs::path& file, const LayoutSpec& spec, Logger& log) {
  FileSet files(file);
  const auto& main = files.main();
  NexusPaths paths;
  if (spec.nexus_data.empty() || spec.nexus_image_key.empty() || spec.nexus_angles.empty()) {
    paths = discover_nexus(*main, log);
  }
  const std::string data_path = stack_path(*main, spec, paths);
  auto data = std::make_shared<h5::Dataset>(h5::open_dataset(*main, data_path));
  ScanInfo info;
  info.layout = "nexus";
  info.source = file;
  const StackInfo stack = describe_stack(*main, data_path, *data, false);
  const std::string key_path =
      spec.nexus_image_key.empty() ? paths.image_key : spec.nexus_image_key;
  const KeyedFrames f =
      sort_frames(read_image_key(*main, key_path, stack.n_frames, info), stack.where, info);
  info.projections = role_stack(stack, f.proj, 0);
  info.flats = role_stack(stack, f.flat, 1);
  info.darks = role_stack(stack, f.dark, 2);
  RoleSource proj{main, data, f.proj, false};
  RoleSource flats{main, data, f.flat, false};
  RoleSource darks{main, data, f.dark, false};
  // Flats or darks in files of their own (Diamond i12) replace those in the stack.
  if (!spec.flats.empty()) {
    info.flats = StackInfo{};
    flats = open_role(files, main, spec.flats, "", FrameRole::Flat, Need::Optional, info, log);
  }
  if (!spec.darks.empty()) {
    info.darks = StackInfo{};
    darks = open_role(files, main, spec.darks, "", FrameRole::Dark, Need::Optional, info, log);
  }
  if (!angles_from_layout(spec, files, main, info)) {
    const bool explicit_angles = !spec.nexus_angles.empty();
    read_angles(*main, explicit_angles ? spec.nexus_angles : paths.angles, explicit_angles, f,
                stack.n_frames, info);
  }
  const bool discovered = spec.nexus_data.empty() && !paths.entry.empty();
  const std::string entry = discovered ? paths.entry : top_group(data_path);
  read_metadata(*main, entry, data_path, info);
  apply_overrides(spec, info);
  log.debug("nexus: ", f.proj.size(), " projections, ", f.flat.size(), " flats, ", f.dark.size(),
            " darks in ", stack.where);
  return std::make_unique<Hdf5ScanReader>(std::move(info), std::move(proj), std::move(flats),
                                          std::move(darks));
}

}  // namespace xct
