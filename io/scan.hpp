// The raw-scan reader interface. A reader describes a scan (ScanInfo) and reads any range of
// projections and any range of detector rows without touching the rest of the file. Readers
// only read: they never correct, normalise or fill in data. Where a file lacks something
// (angles, flats) the ScanInfo says so and `xct check` reports it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/array.hpp"
#include "core/error.hpp"
#include "core/logger.hpp"
#include "io/dtype.hpp"
#include "io/layout.hpp"

namespace xct {

// A half-open index range [begin, end).
struct Range {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t size() const { return end > begin ? end - begin : 0; }
  bool operator==(const Range&) const = default;
};

enum class FrameRole { Projection, Flat, Dark };
const char* role_name(FrameRole role) noexcept;  // "projections", "flats", "darks"

// Shape and type of one role's frame stack as stored.
struct StackInfo {
  bool present = false;
  std::size_t n_frames = 0;
  std::size_t n_rows = 0;
  std::size_t n_cols = 0;
  DType dtype = DType::UInt16;
  std::string where;  // "file.h5:/exchange/data", "folder/tiffs (91 files)" ...
  // Position of each frame in acquisition order, where the layout records it (NeXus
  // image_key order); empty when unknown. Lets flats taken before and after be told apart.
  std::vector<std::size_t> acquisition_index;
  // Storage, where the layout records it (HDF5): detector rows per chunk (0 when the data is
  // not chunked) and whether chunks are compressed, so that reading any row of a chunk
  // decodes all of it.
  std::size_t chunk_rows = 0;
  bool compressed = false;
  // Why an absent role is absent, when the layout knows (a dangling link ...), and whether a
  // missing file is the reason: a command that needs the role then exits 66, not 65.
  std::string absent_reason;
  bool absent_file_missing = false;
};

struct ScanInfo {
  std::string layout;  // "data-exchange", "nexus", "hdf5-custom", "tiff-stack"
  std::filesystem::path source;
  StackInfo projections;
  StackInfo flats;
  StackInfo darks;

  // One angle per projection in radians; empty when the scan records none.
  std::vector<double> angles_rad;
  std::string angles_where;  // where they came from, for `xct info`
  // The angles as found, before any unit conversion (for the degrees/radians plausibility
  // check); same length as angles_rad.
  std::vector<double> angles_as_stored;
  bool angles_stored_in_degrees = true;

  std::optional<double> pixel_size_um;
  std::optional<double> energy_kev;
  std::optional<double> distance_mm;

  // Problems found while opening that do not stop the scan being described (a flats dataset
  // behind a dangling link, an image_key with unknown values ...). `xct check` reports them.
  std::vector<std::string> problems;
  // Things worth knowing that may be intended (gaps in file numbering ...): warnings.
  std::vector<std::string> warnings;

  std::size_t n_proj() const { return projections.n_frames; }
  std::size_t n_rows() const { return projections.n_rows; }
  std::size_t n_cols() const { return projections.n_cols; }
};

class ScanReader {
 public:
  virtual ~ScanReader() = default;

  virtual const ScanInfo& info() const = 0;

  // Reads frames [frames.begin, frames.end) of `role`, detector rows [rows.begin, rows.end),
  // all columns, into `out`, a contiguous buffer of frames.size() * rows.size() * n_cols
  // samples of type `out_type`. The stored type must convert exactly into out_type.
  // Throws ErrorKind::BadData for unreadable or truncated data and ErrorKind::Usage for
  // ranges outside the stack.
  virtual void read_frames(FrameRole role, Range frames, Range rows, DType out_type, void* out) = 0;

  // Typed helpers over read_frames.
  template <typename T>
  void read_projections(Range proj, Range rows, HostView<T, 3> out) {
    read_into(FrameRole::Projection, proj, rows, out);
  }
  template <typename T>
  HostArray<T, 3> read_projections(Range proj, Range rows) {
    return read_role<T>(FrameRole::Projection, proj, rows);
  }
  // All flats (or darks) for the given rows, as float32: (n_flats, rows, n_cols).
  HostArray<float, 3> read_flats(Range rows) {
    return read_role<float>(FrameRole::Flat, Range{0, info().flats.n_frames}, rows);
  }
  HostArray<float, 3> read_darks(Range rows) {
    return read_role<float>(FrameRole::Dark, Range{0, info().darks.n_frames}, rows);
  }

  const StackInfo& stack(FrameRole role) const;

 protected:
  // Checks a request against the stack: a usage error when it is out of range, a bad-data
  // error when the stored type does not convert exactly into `out_type`.
  void check_request(FrameRole role, Range frames, Range rows, DType out_type) const;

 private:
  template <typename T>
  void read_into(FrameRole role, Range frames, Range rows, HostView<T, 3> out) {
    XCT_CHECK(out.is_contiguous() && out.extent(0) == frames.size() &&
                  out.extent(1) == rows.size() && out.extent(2) == stack(role).n_cols,
              ErrorKind::Internal, "read buffer does not match the requested ", role_name(role),
              " block");
    read_frames(role, frames, rows, dtype_of<T>(), out.data());
  }
  template <typename T>
  HostArray<T, 3> read_role(FrameRole role, Range frames, Range rows) {
    HostArray<T, 3> out({frames.size(), rows.size(), stack(role).n_cols});
    if (out.size() > 0) read_into(role, frames, rows, out.view());
    return out;
  }
};

// Opens a raw scan: a Data Exchange or NeXus HDF5 file, a beamline HDF5 layout described by
// `spec`, or a folder of TIFFs. Throws ErrorKind::InputMissing when the input (or a file a
// role needs) does not exist and ErrorKind::BadData when it cannot be understood.
std::unique_ptr<ScanReader> open_scan(const std::filesystem::path& input, const LayoutSpec& spec,
                                      Logger& log = null_logger());

}  // namespace xct
