// Chooses the reader for an input: a folder is a TIFF scan, an HDF5 file is recognised by its
// content (Data Exchange or NeXus) unless the layout is given, and a lone TIFF file is a
// multi-page projection stack. HDF5 inputs are opened first in a child process (see
// io/isolate.hpp), so that a corrupt file that crashes or hangs the HDF5 library ends in a
// one-line error rather than taking xct down.
#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "io/hdf5_scan.hpp"
#include "io/isolate.hpp"
#include "io/scan.hpp"
#include "io/tiff_scan.hpp"

namespace fs = std::filesystem;

namespace xct {

namespace {

// Opening a real scan's metadata takes milliseconds, seconds on a slow network file system;
// two minutes mean HDF5 is looping on a corrupt file. XCT_PROBE_TIMEOUT (seconds) sets
// another limit.
double probe_timeout_seconds() {
  if (const char* env = std::getenv("XCT_PROBE_TIMEOUT")) {
    char* end = nullptr;
    const double v = std::strtod(env, &end);
    if (end != env && *end == '\0' && v > 0 && v < 1e6) return v;
  }
  return 120.0;
}

bool has_tiff_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext == ".tif" || ext == ".tiff";
}

std::unique_ptr<ScanReader> open_hdf5(const fs::path& input, LayoutSpec::Kind kind,
                                      const LayoutSpec& spec, Logger& log) {
  if (kind == LayoutSpec::Kind::Auto) kind = detect_hdf5_layout(input);
  log.debug("layout: ", layout_kind_name(kind));
  if (kind == LayoutSpec::Kind::DataExchange) return open_data_exchange(input, spec, log);
  if (kind == LayoutSpec::Kind::Nexus) return open_nexus(input, spec, log);
  return open_hdf5_custom(input, spec, log);
}

// Opens the scan and reads the first row of the first and last frame of every role, which
// walks the metadata and the chunk indexes that later reads rely on.
void probe_hdf5(const fs::path& input, LayoutSpec::Kind kind, const LayoutSpec& spec) {
  auto reader = open_hdf5(input, kind, spec, null_logger());
  for (FrameRole role : {FrameRole::Projection, FrameRole::Flat, FrameRole::Dark}) {
    const StackInfo& s = reader->stack(role);
    if (!s.present || s.n_frames == 0 || s.n_rows == 0) continue;
    std::vector<float> row(s.n_cols);
    for (std::size_t f : {std::size_t{0}, s.n_frames - 1}) {
      reader->read_frames(role, Range{f, f + 1}, Range{0, 1}, DType::Float32, row.data());
    }
  }
}

void open_hdf5_isolated(const fs::path& input, LayoutSpec::Kind kind, const LayoutSpec& spec) {
  const double timeout = probe_timeout_seconds();
  const IsolatedResult r = run_isolated([&] { probe_hdf5(input, kind, spec); }, timeout);
  switch (r.status) {
    case IsolatedResult::Status::Ok:
      return;
    case IsolatedResult::Status::Threw:
      throw Error(r.kind, r.message, __FILE__, __LINE__);
    case IsolatedResult::Status::Crashed:
      XCT_THROW(ErrorKind::BadData, "the HDF5 library crashed (", r.message, ") reading ",
                input.string(), ": the file is corrupt");
    case IsolatedResult::Status::TimedOut:
      XCT_THROW(ErrorKind::BadData, "the HDF5 library did not finish reading the metadata of ",
                input.string(), " in ", timeout,
                " s: the file is corrupt or its storage does not answer");
  }
}

}  // namespace

std::unique_ptr<ScanReader> open_scan(const fs::path& input, const LayoutSpec& spec, Logger& log) {
  std::error_code ec;
  const bool exists = fs::exists(input, ec);
  XCT_CHECK(exists, ErrorKind::InputMissing, "input not found: ", input.string());
  const bool is_dir = fs::is_directory(input, ec);

  LayoutSpec::Kind kind = spec.kind;
  if (kind == LayoutSpec::Kind::TiffStack ||
      (kind == LayoutSpec::Kind::Auto && (is_dir || has_tiff_extension(input)))) {
    return open_tiff_scan(input, spec, log);
  }
  XCT_CHECK(!is_dir, ErrorKind::Usage, "layout ", layout_kind_name(kind),
            " needs an HDF5 file, not the folder ", input.string());
  XCT_CHECK(is_hdf5_file(input), ErrorKind::BadData, input.string(),
            kind == LayoutSpec::Kind::Auto
                ? " is neither an HDF5 file nor a TIFF file or folder"
                : " is not an HDF5 file (no HDF5 signature; truncated or another format)");
  open_hdf5_isolated(input, kind, spec);
  return open_hdf5(input, kind, spec, log);
}

}  // namespace xct
