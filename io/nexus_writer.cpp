#include "io/nexus_writer.hpp"

#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "io/hdf5.hpp"

namespace fs = std::filesystem;

namespace xct {

namespace {

void group(const h5::File& f, const std::string& path, const char* nx_class) {
  const h5::Group g = h5::create_group(f.id(), path);
  h5::write_attribute(g.id(), "NX_class", nx_class);
}

}  // namespace

struct NxTomoWriter::Impl {
  AtomicFile out;
  h5::File file;
  std::optional<h5::Dataset> data;
  NxTomoLayout layout;
  std::vector<bool> written;

  Impl(fs::path path, NxTomoLayout l)
      : out(std::move(path)), file(h5::create_file(out.temp_path())), layout(std::move(l)) {}
};

NxTomoWriter::NxTomoWriter(fs::path file, const NxTomoLayout& layout)
    : impl_(std::make_unique<Impl>(file, layout)) {
  const std::size_t n = layout.image_key.size();
  XCT_CHECK(n > 0 && layout.rotation_deg.size() == n && layout.n_rows > 0 && layout.n_cols > 0,
            ErrorKind::Internal, "inconsistent NXtomo layout for ", file.string());
  const h5::File& f = impl_->file;
  group(f, "/entry", "NXentry");
  h5::write_string(f.id(), "/entry/definition", "NXtomo");
  if (!layout.title.empty()) h5::write_string(f.id(), "/entry/title", layout.title);
  group(f, "/entry/instrument", "NXinstrument");
  group(f, "/entry/instrument/detector", "NXdetector");
  group(f, "/entry/instrument/monochromator", "NXmonochromator");
  group(f, "/entry/sample", "NXsample");
  h5::Dataset d = h5::create_dataset(
      f.id(), "/entry/instrument/detector/data", h5::native_type(layout.dtype),
      {n, layout.n_rows, layout.n_cols}, {1, layout.n_rows, layout.n_cols}, layout.deflate_level);
  h5::write_attribute(d.id(), "units", "counts");
  impl_->data = std::move(d);
  {
    const h5::Dataset k =
        h5::create_dataset(f.id(), "/entry/instrument/detector/image_key", H5T_STD_I32LE, {n});
    h5::write_all(k, H5T_NATIVE_INT, layout.image_key.data());
  }
  const h5::Dataset angles =
      h5::write_doubles(f.id(), "/entry/sample/rotation_angle", layout.rotation_deg);
  h5::write_attribute(angles.id(), "units", "degree");
  h5::write_quantity(f.id(), "/entry/instrument/detector/x_pixel_size", layout.pixel_size_um, "um");
  h5::write_quantity(f.id(), "/entry/instrument/detector/y_pixel_size", layout.pixel_size_um, "um");
  h5::write_quantity(f.id(), "/entry/instrument/detector/distance", layout.distance_mm, "mm");
  h5::write_quantity(f.id(), "/entry/instrument/monochromator/energy", layout.energy_kev, "keV");
  group(f, "/entry/data", "NXdata");
  {
    const h5::Group g = h5::create_group(f.id(), "/entry/data");
    h5::write_attribute(g.id(), "signal", "data");
  }
  h5::create_soft_link(f.id(), "/entry/data/data", "/entry/instrument/detector/data");
  h5::create_soft_link(f.id(), "/entry/data/image_key", "/entry/instrument/detector/image_key");
  h5::create_soft_link(f.id(), "/entry/data/rotation_angle", "/entry/sample/rotation_angle");
  impl_->written.assign(n, false);
}

NxTomoWriter::~NxTomoWriter() = default;

void NxTomoWriter::write_frames(std::size_t first, std::size_t count, const void* data) {
  const NxTomoLayout& l = impl_->layout;
  XCT_CHECK(first + count <= l.image_key.size(), ErrorKind::Internal, "frames ", first, "+", count,
            " outside the NXtomo stack");
  h5::write_block(*impl_->data, {first, 0, 0}, {count, l.n_rows, l.n_cols},
                  h5::native_type(l.dtype), data);
  for (std::size_t i = 0; i < count; ++i)
    impl_->written[first + i] = true;
}

void NxTomoWriter::commit() {
  for (bool w : impl_->written) {
    XCT_CHECK(w, ErrorKind::Internal, "not every NXtomo frame was written");
  }
  impl_->data.reset();
  impl_->file.close();
  impl_->out.commit();
}

}  // namespace xct
