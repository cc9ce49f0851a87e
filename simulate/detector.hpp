// The beam and the detector: what turns transmissions into the uint16 counts a beamline
// writes. Each effect has its own switch, and each random effect its own seed:
//   flux and Poisson photon noise; a smooth beam profile and a slow intensity drift; dark
//   current with a fixed pattern and read noise; pixel gain (removed by flat-fielding);
//   zingers; the stripe-making defects of Vo et al. 2018 (full, partial, fluctuating, dead,
//   unresponsive, large); Gaussian detector blur; a phase-contrast edge term.
// Stripe defects act on projections and not on flats (a response that is not linear, or that
// changed after the flats were taken), so flat-fielding leaves them in; dead pixels read dark
// in every frame, unresponsive ones read a fixed value whenever lit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace xct::sim {

struct DetectorParams {
  double flux = 10000;  // mean counts per pixel in a flat at the beam's peak
  bool noise = true;    // Poisson photon noise and read noise
  std::uint64_t noise_seed = 1;
  bool beam_profile = true;      // smooth non-uniform beam
  bool intensity_drift = true;   // slow drift of the beam during the scan
  double drift_fraction = 0.01;  // intensity lost from the first to the last projection
  double dark_level = 100;
  double read_noise = 2.0;              // counts, standard deviation
  bool pixel_gain = true;               // fixed gain pattern (flat-fielding removes it)
  double blur_sigma_px = 0.7;           // Gaussian detector blur, 0 = none
  bool zingers = true;                  // in every frame: projections, flats and darks
  double zingers_per_frame = 0.2;  // mean count per frame
  std::uint64_t zinger_seed = 1;
  bool stripes = true;
  std::uint64_t defect_seed = 1;
  double phase_distance_mm = 0;  // sample-detector distance for the edge term, 0 = none
  double pixel_size_um = 1.3;
  std::size_t n_flats = 20;       // taken before the projections
  std::size_t n_flats_after = 0;  // taken after them, when the beam has drifted
  std::size_t n_darks = 20;
  // Counts as float32, unrounded and unclipped, instead of uint16: for checks of the exact
  // transmissions below the quantisation of integer counts.
  bool float_counts = false;
};

// A detector defect that leaves a stripe in the sinograms.
struct StripeDefect {
  std::string kind;                    // full, partial, fluctuating, dead, unresponsive, large
  std::size_t col0 = 0, col1 = 0;      // columns [col0, col1)
  std::size_t row0 = 0, row1 = 0;      // rows [row0, row1)
  std::size_t frame0 = 0, frame1 = 0;  // projections [frame0, frame1) it affects
  double amplitude = 0;                // relative gain error (fluctuating: its standard deviation)
};

struct Zinger {
  std::size_t frame = 0, row = 0, col = 0;
  double counts = 0;
};

enum class FrameKind { Projection, Flat, Dark };

// The fixed properties of one detector, shared by every scan of a time series.
struct DetectorModel {
  DetectorParams params;
  std::size_t n_rows = 0, n_cols = 0, n_angles = 0;
  std::vector<float> beam;  // profile, peak 1 (rows x cols)
  std::vector<float> gain;  // pixel gain (rows x cols)
  std::vector<float> dark;  // dark level with its fixed pattern (rows x cols)
  std::vector<StripeDefect> stripes;
};

DetectorModel make_detector(const DetectorParams& params, std::size_t n_rows, std::size_t n_cols,
                            std::size_t n_angles);
// Checks the parameters; throws ErrorKind::Usage with a one-line reason.
void validate(const DetectorParams& params);

// Frames come out as counts in float: whole numbers within [0, 65535] unless float_counts.
struct ExposureStats {
  std::size_t saturated = 0;  // samples clipped at 65535
  std::vector<Zinger> zingers, flat_zingers, dark_zingers;
  void merge(const ExposureStats& other);
};

// Exposes one frame. `transmission` (rows x cols) is the sample's transmission, ignored for
// flats and darks; `delta` the line integral of delta in pixels, or null. `frame` is the
// projection (or flat, or dark) index, `step` the time step: together with the seeds they fix
// every random draw. Flats numbered from n_flats on are those taken after the projections.
void expose(const DetectorModel& det, FrameKind kind, std::size_t frame, std::size_t step,
            const float* transmission, const float* delta, float* out, ExposureStats& stats);

// The beam's relative intensity at projection `frame` (the slow drift).
double beam_intensity(const DetectorModel& det, std::size_t frame);

}  // namespace xct::sim
