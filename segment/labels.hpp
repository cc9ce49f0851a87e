// The label numbers xct segment writes: the same as the simulator's ground truth
// (simulate/scene.hpp), so a segmentation can be scored voxel by voxel against it.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace xct::seg {

enum Label : std::uint8_t {
  kOutside = 0,  // outside the cell's cylinder
  kVoid = 1,     // gas: voids in the NaK, interface voids, air inside the housing
  kNaK = 2,      // the liquid NaK anode
  kNasicon = 3,  // the NASICON pellet
  kCrack = 4,    // a crack in the pellet, whatever fills it
  kAl = 5,       // the Al current collector
  kHousing = 6,  // PEEK housing and rubber O-ring
  kSodium = 7,   // Na metal: reserved (Na and NaK differ by 0.05 /cm at 80 keV)
  kChip = 8,     // NASICON cut off the pellet by a crack
};
inline constexpr int kLabelCount = 9;

// Lower-case names used in tables and JSON ("void", "nak", "nasicon", ...).
inline constexpr std::array<std::string_view, kLabelCount> kLabelNames = {
    "outside", "void", "nak", "nasicon", "crack", "al", "housing", "sodium", "chip"};

inline std::string_view label_name(int label) {
  return label >= 0 && label < kLabelCount ? kLabelNames[static_cast<std::size_t>(label)]
                                           : std::string_view("unknown");
}

}  // namespace xct::seg
