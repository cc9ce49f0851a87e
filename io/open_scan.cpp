// Chooses the reader for an input: a folder is a TIFF scan, an HDF5 file is recognised by its
// content (Data Exchange or NeXus) unless the layout is given, and a lone TIFF file is a
// multi-page projection stack.
#include <algorithm>
#include <cctype>

#include "io/hdf5_scan.hpp"
#include "io/scan.hpp"
#include "io/tiff_scan.hpp"

namespace fs = std::filesystem;

namespace xct {

namespace {

bool has_tiff_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext == ".tif" || ext == ".tiff";
}

}  // namespace

std::unique_ptr<ScanReader> open_scan(const fs::path& input, const LayoutSpec& spec, Logger& log) {
  std::error_code ec;
  const bool exists = fs::exists(input, ec);
  XCT_CHECK(exists, ErrorKind::InputMissing, "input not found: ", input.string());
  const bool is_dir = fs::is_directory(input, ec);

  LayoutSpec::Kind kind = spec.kind;
  if (kind == LayoutSpec::Kind::Auto) {
    if (is_dir || has_tiff_extension(input)) {
      kind = LayoutSpec::Kind::TiffStack;
    } else if (is_hdf5_file(input)) {
      kind = detect_hdf5_layout(input);
    } else {
      XCT_THROW(ErrorKind::BadData, input.string(),
                " is neither an HDF5 file nor a TIFF file or folder");
    }
    log.debug("layout detected: ", layout_kind_name(kind));
  }

  switch (kind) {
    case LayoutSpec::Kind::TiffStack:
      return open_tiff_scan(input, spec, log);
    case LayoutSpec::Kind::DataExchange:
    case LayoutSpec::Kind::Nexus:
    case LayoutSpec::Kind::Hdf5Custom: {
      XCT_CHECK(!is_dir, ErrorKind::Usage, "layout ", layout_kind_name(kind),
                " needs an HDF5 file, not the folder ", input.string());
      XCT_CHECK(is_hdf5_file(input), ErrorKind::BadData, input.string(),
                " is not an HDF5 file (no HDF5 signature; truncated or another format)");
      if (kind == LayoutSpec::Kind::DataExchange) return open_data_exchange(input, spec, log);
      if (kind == LayoutSpec::Kind::Nexus) return open_nexus(input, spec, log);
      return open_hdf5_custom(input, spec, log);
    }
    case LayoutSpec::Kind::Auto:
      break;
  }
  XCT_THROW(ErrorKind::Internal, "no reader for layout ", layout_kind_name(kind));
}

}  // namespace xct
