#include "io/layout.hpp"

#include <algorithm>
#include <cctype>

#include "core/error.hpp"

namespace xct {

const char* layout_kind_name(LayoutSpec::Kind kind) noexcept {
  switch (kind) {
    case LayoutSpec::Kind::Auto:
      return "auto";
    case LayoutSpec::Kind::DataExchange:
      return "dxchange";
    case LayoutSpec::Kind::Nexus:
      return "nexus";
    case LayoutSpec::Kind::Hdf5Custom:
      return "hdf5";
    case LayoutSpec::Kind::TiffStack:
      return "tiff";
  }
  return "auto";
}

LayoutSpec::Kind parse_layout_kind(const std::string& name) {
  std::string n = name;
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
  if (n == "auto") return LayoutSpec::Kind::Auto;
  if (n == "dxchange" || n == "dx" || n == "data-exchange") return LayoutSpec::Kind::DataExchange;
  if (n == "nexus" || n == "nxtomo") return LayoutSpec::Kind::Nexus;
  if (n == "hdf5" || n == "custom" || n == "hdf5-custom") return LayoutSpec::Kind::Hdf5Custom;
  if (n == "tiff" || n == "tif") return LayoutSpec::Kind::TiffStack;
  XCT_THROW(ErrorKind::Usage, "unknown layout '", name,
            "' (expected auto, dxchange, nexus, hdf5 or tiff)");
}

}  // namespace xct
