// FNV-1a, 64 bits: a fast checksum of bytes, for fingerprints of inputs and run settings (not
// for security).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace xct {

struct Fnv {
  std::uint64_t h = 1469598103934665603ull;
  void add(const void* data, std::size_t n) {
    const auto* b = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < n; ++i)
      h = (h ^ b[i]) * 1099511628211ull;
  }
  void add(const std::string& s) { add(s.data(), s.size()); }
  std::string hex() const {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
  }
};

}  // namespace xct
