// Data Exchange writer: the layout of the APS areaDetector files, one frame per chunk, so that
// files written here read like detector files do.
#include "io/dx_writer.hpp"

#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "io/hdf5.hpp"

namespace fs = std::filesystem;

namespace xct {

namespace {

void write_stack(const h5::File& file, const std::string& path, const FrameStack& stack,
                 const char* description) {
  XCT_CHECK(stack.data != nullptr && stack.n_rows > 0 && stack.n_cols > 0, ErrorKind::Internal,
            "no samples given for ", path);
  const h5::Dataset d =
      h5::write_array(file.id(), path, stack.dtype, {stack.n_frames, stack.n_rows, stack.n_cols},
                      stack.data, {1, stack.n_rows, stack.n_cols});
  h5::write_attribute(d.id(), "axes", "theta:y:x");
  h5::write_attribute(d.id(), "units", "counts");
  h5::write_attribute(d.id(), "description", description);
}

void write_quantity(const h5::File& file, const std::string& path, std::optional<double> value,
                    const char* units) {
  if (!value) return;
  const h5::Dataset d = h5::write_scalar(file.id(), path, *value);
  h5::write_attribute(d.id(), "units", units);
}

}  // namespace

void write_data_exchange(const fs::path& file, const DxScan& scan) {
  XCT_CHECK(scan.projections.n_frames > 0, ErrorKind::Internal, "no projections to write to ",
            file.string());
  AtomicFile out(file);
  h5::File f = h5::create_file(out.temp_path());
  h5::write_string(f.id(), "/implements", "exchange:measurement");
  write_stack(f, "/exchange/data", scan.projections, "ImageData");
  if (scan.flats.n_frames > 0) write_stack(f, "/exchange/data_white", scan.flats, "WhiteData");
  if (scan.darks.n_frames > 0) write_stack(f, "/exchange/data_dark", scan.darks, "DarkData");
  if (!scan.theta_deg.empty()) {
    const h5::Dataset theta = h5::write_doubles(f.id(), "/exchange/theta", scan.theta_deg);
    h5::write_attribute(theta.id(), "units", "degrees");
  }
  if (!scan.description.empty()) {
    h5::write_string(f.id(), "/exchange/description", scan.description);
  }
  write_quantity(f, "/measurement/instrument/detector/pixel_size", scan.pixel_size_um, "um");
  write_quantity(f, "/measurement/instrument/monochromator/energy", scan.energy_kev, "keV");
  write_quantity(f, "/measurement/instrument/detector/distance", scan.distance_mm, "mm");
  f.close();
  out.commit();
}

}  // namespace xct
