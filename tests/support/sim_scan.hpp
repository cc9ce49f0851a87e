// Raw frames of a simulated scan held in memory, for tests of the preprocessing steps: the
// detector counts of every projection, flat and dark, with the exact transmissions and the
// simulator's record of what it injected (zingers, stripes).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "core/array.hpp"
#include "simulate/detector.hpp"
#include "simulate/simulate.hpp"

namespace xct::test {

struct SimScan {
  std::vector<double> angles_rad;
  double centre = 0;                 // true rotation axis column
  HostArray<float, 3> projections;   // counts [angle, row, col]
  HostArray<float, 3> flats, darks;  // counts [frame, row, col]
  HostArray<float, 3> transmission;  // exact sample transmission [angle, row, col]
  sim::DetectorModel detector;
  sim::ExposureStats stats;
};

// Simulates time step 0 of `params` (its cell's n_rows and n_cols are the detector's);
// `edit`, when given, may change the detector model (drop stripe kinds ...) before exposure.
SimScan simulate_scan(const sim::SimulationParams& params,
                      const std::function<void(sim::DetectorModel&)>& edit = {});

// Parameters for a band of `n_rows` (at least 8) detector rows through the middle of the pellet
// (the interface, the crack and the chip) of a cell seen by an n_cols-wide detector.
sim::SimulationParams band_params(std::size_t n_cols, std::size_t n_rows, std::size_t n_angles);

// Keeps the detector's stripe defects of one kind (full, partial, fluctuating, dead,
// unresponsive, large), spread over all `n_rows` rows; "every" keeps the simulator's mix as it is.
void keep_stripe_kind(sim::DetectorModel& det, const std::string& kind, std::size_t n_rows);

// The sinogram [angle, col] of row `row` through xct's own flat-field: median flats and darks,
// default policies.
HostArray<float, 2> xct_transmission(const SimScan& scan, std::size_t row);

// One sinogram [angle, col] of row `row`, flat-field corrected with the mean flat and dark:
// (counts - dark) / (flat - dark).
HostArray<float, 2> corrected_sinogram(const SimScan& scan, std::size_t row);

}  // namespace xct::test
