// One level of the 2-D discrete wavelet transform and its inverse with PyWavelets'
// conventions (pywt.dwt2 / pywt.idwt2, mode "symmetric"), for the wavelet-FFT stripe removal
// of Muench et al., Opt. Express 17, 8567 (2009). Daubechies wavelets db1 (haar) to db20.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "core/array.hpp"
#include "recon/ndimage.hpp"

namespace xct::recon {

// The four filters of an orthogonal wavelet, each of length 2N for dbN, as PyWavelets'
// Wavelet.filter_bank gives them: rec_lo is the scaling filter, dec_lo its reverse,
// rec_hi[k] = (-1)^k rec_lo[L-1-k], dec_hi the reverse of rec_hi.
struct WaveletFilters {
  std::vector<float> dec_lo, dec_hi, rec_lo, rec_hi;
  std::size_t length() const { return rec_lo.size(); }
};

// "haar" or "db1" ... "db20"; any other name is ErrorKind::Usage.
WaveletFilters wavelet_filters(std::string_view name);

// The sub-bands of one level, named as PyWavelets names them: approx (cA), horizontal (cH:
// detail along the rows axis), vertical (cV: detail along the columns axis, where stripes
// that are constant along the angles end up), diagonal (cD). Each is
// [(rows + L - 1) / 2, (cols + L - 1) / 2] for an input of [rows, cols] and filters of length L.
struct WaveletBands {
  HostArray<float, 2> approx, horizontal, vertical, diagonal;
};

// Forward transform of one level: half-sample symmetric extension, filtering and keeping
// the odd samples, as pywt.dwt2(..., mode="symmetric").
WaveletBands dwt2(ConstImage in, const WaveletFilters& w);

// Inverse of one level, as pywt.idwt2(..., mode="symmetric"): all four bands of one shape
// [r, c]; the result is [2 r - L + 2, 2 c - L + 2].
HostArray<float, 2> idwt2(ConstImage approx, ConstImage horizontal, ConstImage vertical,
                          ConstImage diagonal, const WaveletFilters& w);

// The scaling filters (rec_lo) of db1 ... db20, to 17 significant digits.
const std::vector<std::vector<double>>& daubechies_scaling_filters();

}  // namespace xct::recon
