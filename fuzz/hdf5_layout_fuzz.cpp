// Recognising and opening an HDF5 scan (io/hdf5_scan.hpp): the layout detected from the file's
// content (Data Exchange, NeXus, or neither), the reader's metadata checks, and a row of the
// first and last frame of every role, as open_scan() does once its isolated probe of the file
// has passed. Any file gives a reader or one xct::Error, never a crash, a hang or a leak.
//
// The harness calls the readers in-process, without open_scan()'s child-process probe
// (io/isolate.hpp): a fork per input would hide the readers' coverage from libFuzzer and be a
// hundred times slower. A crash inside libhdf5 itself therefore shows here as a crash; in xct
// the probe turns it into exit 65 (docs/fuzzing.md).
#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "core/error.hpp"
#include "core/logger.hpp"
#include "fuzz/fuzz_file.hpp"
#include "io/hdf5.hpp"
#include "io/hdf5_scan.hpp"
#include "io/scan.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  xct::h5::no_cleanup_at_exit();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = xct::fuzz::write_input("scan.h5", data, size);
  try {
    if (!xct::is_hdf5_file(file)) return 0;
    const xct::LayoutSpec spec;
    std::unique_ptr<xct::ScanReader> reader;
    switch (xct::detect_hdf5_layout(file)) {
      case xct::LayoutSpec::Kind::DataExchange:
        reader = xct::open_data_exchange(file, spec, xct::null_logger());
        break;
      case xct::LayoutSpec::Kind::Nexus:
        reader = xct::open_nexus(file, spec, xct::null_logger());
        break;
      default:
        return 0;
    }
    for (xct::FrameRole role :
         {xct::FrameRole::Projection, xct::FrameRole::Flat, xct::FrameRole::Dark}) {
      const xct::StackInfo& s = reader->stack(role);
      if (!s.present || s.n_frames == 0 || s.n_rows == 0) continue;
      std::vector<float> row(s.n_cols);
      for (std::size_t f : {std::size_t{0}, s.n_frames - 1})
        reader->read_frames(role, xct::Range{f, f + 1}, xct::Range{0, 1}, xct::DType::Float32,
                            row.data());
    }
  } catch (const xct::Error&) {
  }
  // Every file, group, dataset, committed type and attribute xct opened is closed again, error
  // or not. (Dataspaces, memory types and property lists are held by the same RAII handles,
  // which HDF5 1.10 cannot count.)
  const ssize_t open_ids = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
  if (open_ids != 0) {
    std::fprintf(stderr, "xct left %zd HDF5 objects open\n", open_ids);
    std::abort();
  }
  return 0;
}
