#include "cli/sizes.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>

#include "core/error.hpp"

namespace xct::cli {

std::size_t parse_size(const std::string& text, const std::string& flag) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  std::string unit(end ? end : "");
  for (auto& c : unit)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!unit.empty() && unit.back() == 'B') unit.pop_back();
  if (!unit.empty() && unit.back() == 'I') unit.pop_back();  // KiB, MiB ...
  double mult = 0;
  if (unit.empty()) mult = 1;
  if (unit == "K") mult = 1024.0;
  if (unit == "M") mult = 1024.0 * 1024;
  if (unit == "G") mult = 1024.0 * 1024 * 1024;
  if (unit == "T") mult = 1024.0 * 1024 * 1024 * 1024;
  XCT_CHECK(end != text.c_str() && mult > 0 && std::isfinite(v) && v > 0, ErrorKind::Usage, flag,
            " expects a size such as 512M or 4G, not '", text, "'");
  return static_cast<std::size_t>(v * mult);
}

}  // namespace xct::cli
