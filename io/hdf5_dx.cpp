// APS Data Exchange: /exchange/data (theta:y:x), data_white, data_dark, theta in degrees, and
// instrument metadata under /measurement.
#include "io/angles.hpp"
#include "io/hdf5.hpp"
#include "io/hdf5_reader.hpp"
#include "io/hdf5_scan.hpp"

namespace fs = std::filesystem;

namespace xct {

using namespace hdf5_detail;

namespace {

// /exchange/theta as stored (degrees unless its units say radians). Absent: no angles; the
// spec's "assume 0-180" is left to the user, never invented here.
void read_theta(const h5::File& file, ScanInfo& info, Logger& log) {
  const std::string path = "/exchange/theta";
  if (auto problem = h5::path_problem(file, path)) {
    if (problem->kind == h5::PathProblem::Kind::Missing) {
      log.debug("no angles: ", file.where(path), " is absent");
    } else {
      info.problems.push_back("no angles: " + problem->message());
    }
    return;
  }
  h5::Dataset d = h5::open_dataset(file, path);
  set_scan_angles(info, h5::read_doubles(d), !units_are_radians(d.id()), file.where(path));
}

// A few common places for each quantity: what write_data_exchange writes first, then the
// APS tomoscan layouts (objective resolution is the effective pixel size at the sample).
void read_metadata(const h5::File& file, ScanInfo& info) {
  const std::string det = "/measurement/instrument/detector/";
  info.pixel_size_um = first_quantity(
      file,
      {det + "pixel_size", "/measurement/instrument/detection_system/objective/resolution",
       det + "pixel_size_x", det + "x_pixel_size"},
      Quantity::LengthUm);
  info.energy_kev = first_quantity(
      file, {"/measurement/instrument/monochromator/energy", "/measurement/sample/energy"},
      Quantity::EnergyKeV);
  info.distance_mm = first_quantity(
      file, {det + "distance", "/measurement/instrument/sample/distance"}, Quantity::LengthMm);
}

}  // namespace

std::unique_ptr<ScanReader> open_data_exchange(const fs::path& file, const LayoutSpec& spec,
                                               Logger& log) {
  FileSet files(file);
  const auto& main = files.main();
  ScanInfo info;
  info.layout = "data-exchange";
  info.source = file;
  RoleSource proj = open_role(files, main, spec.projections, "/exchange/data",
                              FrameRole::Projection, Need::Required, info, log);
  RoleSource flats = open_role(files, main, spec.flats, "/exchange/data_white", FrameRole::Flat,
                               Need::Optional, info, log);
  RoleSource darks = open_role(files, main, spec.darks, "/exchange/data_dark", FrameRole::Dark,
                               Need::Optional, info, log);
  if (!angles_from_layout(spec, files, main, info)) read_theta(*main, info, log);
  read_metadata(*main, info);
  apply_overrides(spec, info);
  return std::make_unique<Hdf5ScanReader>(std::move(info), std::move(proj), std::move(flats),
                                          std::move(darks));
}

}  // namespace xct
