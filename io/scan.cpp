#include "io/scan.hpp"

namespace xct {

const char* role_name(FrameRole role) noexcept {
  switch (role) {
    case FrameRole::Projection:
      return "projections";
    case FrameRole::Flat:
      return "flats";
    case FrameRole::Dark:
      return "darks";
  }
  return "?";
}

const StackInfo& ScanReader::stack(FrameRole role) const {
  switch (role) {
    case FrameRole::Flat:
      return info().flats;
    case FrameRole::Dark:
      return info().darks;
    case FrameRole::Projection:
      break;
  }
  return info().projections;
}

void ScanReader::check_request(FrameRole role, Range frames, Range rows, DType out_type) const {
  const StackInfo& s = stack(role);
  XCT_CHECK(s.present, ErrorKind::BadData, "the scan has no ", role_name(role));
  XCT_CHECK(frames.begin <= frames.end && frames.end <= s.n_frames, ErrorKind::Usage, "frames ",
            frames.begin, "..", frames.end, " lie outside the ", s.n_frames, " ", role_name(role));
  XCT_CHECK(rows.begin <= rows.end && rows.end <= s.n_rows, ErrorKind::Usage, "rows ", rows.begin,
            "..", rows.end, " lie outside the ", s.n_rows, " rows of the ", role_name(role));
  XCT_CHECK(converts_exactly(s.dtype, out_type), ErrorKind::BadData, "cannot read ",
            dtype_name(s.dtype), " ", role_name(role), " into ", dtype_name(out_type),
            " without loss (", s.where, ")");
}

}  // namespace xct
