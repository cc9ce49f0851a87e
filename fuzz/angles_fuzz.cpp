// The angle-file parser (io/angles.hpp): any bytes give angles or one xct::Error, never a
// crash, a hang or a leak. Line selections are taken from the first two bytes, so that the
// selection code is exercised too.
#include <cstddef>
#include <cstdint>

#include "core/error.hpp"
#include "fuzz/fuzz_file.hpp"
#include "io/angles.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = xct::fuzz::write_input("angles.txt", data, size);
  const std::size_t first = size > 0 ? data[0] % 8 : 0;
  const std::size_t last = size > 1 ? data[1] % 16 : 0;
  for (const auto& [a, b] : {std::pair<std::size_t, std::size_t>{0, 0}, {first, last}}) {
    try {
      const auto angles = xct::read_angle_text(file, a, b);
      volatile double sum = 0;
      for (double v : angles)
        sum = sum + v;
    } catch (const xct::Error&) {
    }
  }
  return 0;
}
