// Measuring the centre of rotation of a raw scan: preprocess a band of detector rows over the
// first half turn, then apply Vo's metric to the band's mean sinogram or correlate the band's
// projections 180 degrees apart. `xct center` and the automatic centre of `xct recon` share it.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/array.hpp"
#include "core/logger.hpp"
#include "io/scan.hpp"
#include "recon/center.hpp"
#include "recon/preprocess.hpp"

namespace xct::recon {

struct CentreMeasureParams {
  std::string method = "vo";  // vo | pc
  std::size_t band = 16;      // rows around the measured row
  CenterVoParams vo;
  CenterPcParams pc{true, false, false};  // plain cross-correlation (robust to noise)
};

// The -log sinograms [row, angle, col] of a band of rows over the first half turn, in
// increasing angle order.
struct BandSinograms {
  HostArray<float, 3> sinos;
  std::vector<double> angles;
  Range rows;
};

// `count` rows centred on `row`, moved to fit a detector of n_rows rows.
Range band_around(std::size_t row, std::size_t count, std::size_t n_rows);

BandSinograms band_sinograms(ScanReader& reader, Range rows, const PreprocessParams& prep,
                             PreprocessReport& report);

// The centre of the band (method vo or pc); a usage error for another method name.
CenterResult measure_band_centre(const BandSinograms& band, const CentreMeasureParams& params,
                                 Logger& log);

// Reads the band around `row` and measures its centre.
CenterResult measure_centre_at(ScanReader& reader, std::size_t row, const PreprocessParams& prep,
                               const CentreMeasureParams& params, PreprocessReport& report,
                               Logger& log);

}  // namespace xct::recon
