// Recognising HDF5 scan files: the signature, then the layout by content.
#include "io/hdf5_scan.hpp"

#include "io/hdf5.hpp"
#include "io/hdf5_reader.hpp"

namespace fs = std::filesystem;

namespace xct {

bool is_hdf5_file(const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return false;
  h5::init();
  const htri_t r = H5Fis_hdf5(file.c_str());
  if (r < 0) H5Eclear2(H5E_DEFAULT);
  return r > 0;
}

LayoutSpec::Kind detect_hdf5_layout(const fs::path& file) {
  const h5::File f = h5::open_file(file);
  // A dangling /exchange/data still makes the file Data Exchange; its reader says what is
  // missing.
  if (h5::link_exists(f, "/exchange/data")) return LayoutSpec::Kind::DataExchange;
  const hdf5_detail::NexusPaths paths = hdf5_detail::discover_nexus(f, null_logger());
  const bool nxtomo = !paths.entry.empty() && !paths.data.empty();
  if (nxtomo || !paths.image_key.empty()) return LayoutSpec::Kind::Nexus;
  XCT_THROW(ErrorKind::BadData, file.string(),
            " is neither Data Exchange (no /exchange/data) nor NeXus (no NXtomo entry and no "
            "frame stack with an image_key); describe its layout as hdf5 with dataset paths");
}

}  // namespace xct
