// Symmetric window functions with SciPy's definitions (scipy.signal.windows, sym=True).
// Algotom's FFT-domain filters and FBP smoothing windows are built from these.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace xct::recon {

// gaussian(M, std)[n] = exp(-0.5 ((n - (M-1)/2) / std)^2).
std::vector<double> gaussian_window(std::size_t m, double std_dev);

// hann, hamming, blackman, nuttall, bartlett, triang, parzen; "none" (or an empty name)
// gives all ones. Any other name is a usage error, unlike Algotom, which silently uses ones.
std::vector<double> named_window(std::string_view name, std::size_t m);
bool is_window_name(std::string_view name);

}  // namespace xct::recon
