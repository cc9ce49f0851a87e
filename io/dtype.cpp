#include "io/dtype.hpp"

#include <cstring>
#include <limits>

#include "core/error.hpp"

namespace xct {

std::size_t dtype_size(DType t) noexcept {
  switch (t) {
    case DType::UInt8:
      return 1;
    case DType::UInt16:
      return 2;
    case DType::Float32:
      return 4;
  }
  return 0;
}

const char* dtype_name(DType t) noexcept {
  switch (t) {
    case DType::UInt8:
      return "uint8";
    case DType::UInt16:
      return "uint16";
    case DType::Float32:
      return "float32";
  }
  return "?";
}

double dtype_max(DType t) noexcept {
  switch (t) {
    case DType::UInt8:
      return 255.0;
    case DType::UInt16:
      return 65535.0;
    case DType::Float32:
      break;
  }
  return std::numeric_limits<double>::infinity();
}

bool converts_exactly(DType from, DType to) noexcept {
  return static_cast<int>(from) <= static_cast<int>(to);
}

namespace {
template <typename S, typename D>
void widen(const void* src, void* dst, std::size_t n) {
  const S* s = static_cast<const S*>(src);
  D* d = static_cast<D*>(dst);
  for (std::size_t i = 0; i < n; ++i)
    d[i] = static_cast<D>(s[i]);
}
}  // namespace

void convert_samples(DType from, const void* src, DType to, void* dst, std::size_t n) {
  XCT_CHECK(converts_exactly(from, to), ErrorKind::BadData, "cannot convert ", dtype_name(from),
            " samples to ", dtype_name(to), " without loss");
  if (from == to) {
    std::memcpy(dst, src, n * dtype_size(from));
  } else if (from == DType::UInt8 && to == DType::UInt16) {
    widen<std::uint8_t, std::uint16_t>(src, dst, n);
  } else if (from == DType::UInt8 && to == DType::Float32) {
    widen<std::uint8_t, float>(src, dst, n);
  } else {
    widen<std::uint16_t, float>(src, dst, n);
  }
}

}  // namespace xct
