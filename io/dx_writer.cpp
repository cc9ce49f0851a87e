// Data Exchange writer: the layout of the APS areaDetector files, one frame per chunk, so that
// files written here read like detector files do.
#include "io/dx_writer.hpp"

#include <array>

#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "io/hdf5.hpp"

namespace fs = std::filesystem;

namespace xct {

namespace {

struct StackSpec {
  const char* path;
  const char* description;
};
constexpr std::array<StackSpec, 3> kStacks{{{"/exchange/data", "ImageData"},
                                            {"/exchange/data_white", "WhiteData"},
                                            {"/exchange/data_dark", "DarkData"}}};

}  // namespace

struct DxWriter::Impl {
  AtomicFile out;
  h5::File file;
  std::array<FrameStack, 3> stacks;
  std::array<std::optional<h5::Dataset>, 3> datasets;
  std::array<std::vector<bool>, 3> written;

  explicit Impl(fs::path path) : out(std::move(path)), file(h5::create_file(out.temp_path())) {}
};

DxWriter::DxWriter(fs::path file, const DxScan& layout) : impl_(std::make_unique<Impl>(file)) {
  XCT_CHECK(layout.projections.n_frames > 0, ErrorKind::Internal, "no projections to write to ",
            file.string());
  const h5::File& f = impl_->file;
  h5::write_string(f.id(), "/implements", "exchange:measurement");
  impl_->stacks = {layout.projections, layout.flats, layout.darks};
  for (std::size_t r = 0; r < kStacks.size(); ++r) {
    const FrameStack& s = impl_->stacks[r];
    if (r > 0 && s.n_frames == 0) continue;
    XCT_CHECK(s.n_rows > 0 && s.n_cols > 0, ErrorKind::Internal, "empty frames for ",
              kStacks[r].path);
    h5::Dataset d = h5::create_dataset(f.id(), kStacks[r].path, h5::native_type(s.dtype),
                                       {s.n_frames, s.n_rows, s.n_cols}, {1, s.n_rows, s.n_cols},
                                       layout.deflate_level);
    h5::write_attribute(d.id(), "axes", "theta:y:x");
    h5::write_attribute(d.id(), "units", "counts");
    h5::write_attribute(d.id(), "description", kStacks[r].description);
    impl_->datasets[r] = std::move(d);
    impl_->written[r].assign(s.n_frames, false);
  }
  if (!layout.theta_deg.empty()) {
    const h5::Dataset theta = h5::write_doubles(f.id(), "/exchange/theta", layout.theta_deg);
    h5::write_attribute(theta.id(), "units", "degrees");
  }
  if (!layout.description.empty()) {
    h5::write_string(f.id(), "/exchange/description", layout.description);
  }
  h5::write_quantity(f.id(), "/measurement/instrument/detector/pixel_size", layout.pixel_size_um,
                     "um");
  h5::write_quantity(f.id(), "/measurement/instrument/monochromator/energy", layout.energy_kev,
                     "keV");
  h5::write_quantity(f.id(), "/measurement/instrument/detector/distance", layout.distance_mm, "mm");
}

DxWriter::~DxWriter() = default;

void DxWriter::write_frames(FrameRole role, std::size_t first_frame, std::size_t n_frames,
                            const void* data) {
  const std::size_t r = static_cast<std::size_t>(role);
  const FrameStack& s = impl_->stacks[r];
  XCT_CHECK(impl_->datasets[r].has_value() && first_frame + n_frames <= s.n_frames,
            ErrorKind::Internal, "frames ", first_frame, "+", n_frames, " outside the ",
            role_name(role), " of the file");
  h5::write_block(*impl_->datasets[r], {first_frame, 0, 0}, {n_frames, s.n_rows, s.n_cols},
                  h5::native_type(s.dtype), data);
  for (std::size_t i = 0; i < n_frames; ++i)
    impl_->written[r][first_frame + i] = true;
}

void DxWriter::commit() {
  for (std::size_t r = 0; r < kStacks.size(); ++r) {
    for (bool w : impl_->written[r]) {
      XCT_CHECK(w, ErrorKind::Internal, "not every frame of ", kStacks[r].path, " was written");
    }
  }
  impl_->datasets = {};
  impl_->file.close();
  impl_->out.commit();
}

void write_data_exchange(const fs::path& file, const DxScan& scan) {
  DxWriter w(file, scan);
  const FrameStack* stacks[] = {&scan.projections, &scan.flats, &scan.darks};
  const FrameRole roles[] = {FrameRole::Projection, FrameRole::Flat, FrameRole::Dark};
  for (int r = 0; r < 3; ++r) {
    if (stacks[r]->n_frames == 0) continue;
    XCT_CHECK(stacks[r]->data != nullptr, ErrorKind::Internal, "no samples given for the ",
              role_name(roles[r]));
    w.write_frames(roles[r], 0, stacks[r]->n_frames, stacks[r]->data);
  }
  w.commit();
}

}  // namespace xct
