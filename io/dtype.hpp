// Sample types that raw scans are stored in, and conversion between them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace xct {

enum class DType { UInt8, UInt16, Float32 };

std::size_t dtype_size(DType t) noexcept;
const char* dtype_name(DType t) noexcept;  // "uint8", "uint16", "float32"
// The largest value an integer type holds (255, 65535), where a detector saturates; infinity
// for float32.
double dtype_max(DType t) noexcept;

template <typename T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<std::uint8_t>() {
  return DType::UInt8;
}
template <>
constexpr DType dtype_of<std::uint16_t>() {
  return DType::UInt16;
}
template <>
constexpr DType dtype_of<float>() {
  return DType::Float32;
}

// True when every value of `from` is exactly representable in `to` (uint8 -> uint16 ->
// float32). Readers refuse lossy requests such as float32 data into a uint16 buffer.
bool converts_exactly(DType from, DType to) noexcept;

// Copies n samples, widening from `from` to `to`; requires converts_exactly(from, to).
void convert_samples(DType from, const void* src, DType to, void* dst, std::size_t n);

}  // namespace xct
