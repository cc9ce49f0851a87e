// Vo's centre metric on a CUDA device, behind a plain C++ header: no CUDA type appears here.
// Built from center_vo.cu when CUDA is compiled in and from center_vo_stub.cpp otherwise, where
// vo_metrics throws DeviceUnavailable.
//
// recon/center_vo.cpp computes the spectra of a sinogram along its angle axis once on the host
// (column transforms, the spline coefficients of the flipped rows, the folded mask) and the
// shift of every candidate centre; the device builds each candidate's stacked spectrum rows
// from them, transforms the rows along the detector axis with cuFFT and sums the masked
// magnitudes, per candidate in a fixed order. The metrics are the CPU's to float rounding (the
// transforms differ in their rounding, nothing else).
#pragma once

#include <complex>
#include <cstddef>
#include <vector>

namespace xct::cuda {

// The spectra of one sinogram of n_rows angles and n_cols columns: rows v = 0 .. n_freq - 1
// (n_freq = n_rows + 1) of the transforms of length 2 n_rows along the angle axis. Host memory,
// read during the call only.
struct VoSpectraRef {
  std::size_t n_rows = 0, n_cols = 0, n_freq = 0;
  const std::complex<float>* a = nullptr;           // [n_freq][n_cols] the sinogram
  const std::complex<float>* flip_coef = nullptr;   // [n_freq][n_cols] spline coefficients of the
                                                    // flipped rows, times (-1)^v
  const std::complex<float>* comp_phase = nullptr;  // [n_freq] the up-down flip's phase
  const float* weight = nullptr;                    // [n_freq][n_cols] the folded mask
  const std::size_t* reach = nullptr;  // [n_freq] the weight is 0 farther than this from DC
};

// How one candidate's shift of the flipped half makes a stacked spectrum row from the spectra
// (row v, column j of n):
//   j < left or j >= n - right:  a[j] + comp_phase[v] conj(a[j])   (the up-down flip's columns)
//   integer:                     a[j] + (-1)^v a[n - 1 - j + rounded]
//   otherwise:                   a[j] + sum_h weight[h] flip_coef[mirror(j + offset + h)]
// The CPU (recon/center_vo.cpp) and the device build their rows from the same description.
struct VoShift {
  long left = 0, right = 0;
  bool integer = false;
  long rounded = 0;  // the whole shift, when integer
  long offset = 0;   // the first cubic-spline tap of column j is j + offset
  float weight[4] = {0, 0, 0, 0};
};

// The metric of each candidate shift: the sum over the stacked spectrum of |F| times the
// weight, divided by 2 n_rows n_cols (recon's center_vo_metrics). Throws Usage for
// inconsistent spectra, DeviceUnavailable when the device cannot be used or lacks the memory.
std::vector<double> vo_metrics(const VoSpectraRef& spectra, const std::vector<VoShift>& shifts,
                               int device = 0);

// Device memory vo_metrics takes for these spectra and this many candidates: the spectra, the
// stacked rows of one batch of candidates (at most 256 MiB), their row sums, and cuFFT's work
// area (estimated as the batch's size).
std::size_t vo_metrics_device_bytes(std::size_t n_rows, std::size_t n_cols,
                                    std::size_t n_candidates);

}  // namespace xct::cuda
