// A beamline's own HDF5 layout, described role by role in the LayoutSpec: e.g. an
// areaDetector file per role (/entry/data/data, NSLS-II) with angles from a PandA file, a
// text file or a range.
#include "io/hdf5.hpp"
#include "io/hdf5_reader.hpp"
#include "io/hdf5_scan.hpp"

namespace fs = std::filesystem;

namespace xct {

using namespace hdf5_detail;

std::unique_ptr<ScanReader> open_hdf5_custom(const fs::path& file, const LayoutSpec& spec,
                                             Logger& log) {
  XCT_CHECK(!spec.projections.dataset.empty(), ErrorKind::Usage,
            "the hdf5 layout needs the projections dataset path (e.g. /entry/data/data)");
  FileSet files(file);
  const auto& main = files.main();
  ScanInfo info;
  info.layout = "hdf5-custom";
  info.source = file;
  RoleSource proj = open_role(files, main, spec.projections, "", FrameRole::Projection,
                              Need::Required, info, log);
  // Flats and darks exist only where the spec names them; a named dataset that is missing is
  // an error, one behind a dangling link a problem that leaves the role absent.
  RoleSource flats, darks;
  if (!spec.flats.empty()) {
    flats = open_role(files, main, spec.flats, "", FrameRole::Flat, Need::Optional, info, log);
  }
  if (!spec.darks.empty()) {
    darks = open_role(files, main, spec.darks, "", FrameRole::Dark, Need::Optional, info, log);
  }
  if (!angles_from_layout(spec, files, main, info)) log.debug("no angles: none were described");
  apply_overrides(spec, info);
  return std::make_unique<Hdf5ScanReader>(std::move(info), std::move(proj), std::move(flats),
                                          std::move(darks));
}

}  // namespace xct
