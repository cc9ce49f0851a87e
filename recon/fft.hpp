// FFTW3 plans for the preprocessing and reconstruction steps: single precision, and double
// precision for the real 1-D transforms of the one step computed in double (the low-pass of
// the filter ring method, recon/stripe_fourier.cpp).
//
// A plan is made once per shape and kept in a process-wide cache, so a free function that
// runs on thousands of sinograms pays for planning once. Plans use FFTW_ESTIMATE, which picks
// the same algorithm every run: results are bit-identical between runs and thread counts.
// Executing a cached plan is thread-safe; each call passes its own buffers, which must be
// allocated with fft_alloc (or be HostArray data, which is 64-byte aligned), and every plan is
// out-of-place: input and output buffers must differ.
#pragma once

#include <complex>
#include <cstddef>
#include <memory>

namespace xct::recon {

using cfloat = std::complex<float>;
using cdouble = std::complex<double>;

// A batch of 1-D transforms along the last axis of a contiguous [howmany, n] array, or one
// 2-D transform of a contiguous [n0, n1] array. Real transforms use the half spectrum of
// n/2 + 1 complex values per line (n1/2 + 1 for 2-D).
class FftPlan {
 public:
  enum class Kind { C2cForward, C2cBackward, R2c, C2r, R2cDouble, C2rDouble };

  static const FftPlan& c2c_1d(std::size_t n, std::size_t howmany, bool forward);
  static const FftPlan& r2c_1d(std::size_t n, std::size_t howmany);
  static const FftPlan& c2r_1d(std::size_t n, std::size_t howmany);
  // The same two in double precision (FFTW's fftw_ API).
  static const FftPlan& r2c_1d_double(std::size_t n, std::size_t howmany);
  static const FftPlan& c2r_1d_double(std::size_t n, std::size_t howmany);
  static const FftPlan& c2c_2d(std::size_t n0, std::size_t n1, bool forward);
  static const FftPlan& r2c_2d(std::size_t n0, std::size_t n1);
  // 1-D complex transforms of length n down the columns of a contiguous [n, howmany] array
  // (stride howmany, distance 1).
  static const FftPlan& c2c_columns(std::size_t n, std::size_t howmany, bool forward);

  // Unnormalised transforms, as FFTW (and numpy's forward transform) define them; the
  // backward transform is not divided by n.
  void execute(cfloat* in, cfloat* out) const;   // c2c kinds
  void execute(float* in, cfloat* out) const;    // R2c
  void execute(cfloat* in, float* out) const;    // C2r (overwrites its input)
  void execute(double* in, cdouble* out) const;  // R2cDouble
  void execute(cdouble* in, double* out) const;  // C2rDouble (overwrites its input)

  Kind kind() const { return kind_; }

  struct Impl;
  FftPlan(Kind kind, std::shared_ptr<Impl> impl) : kind_(kind), impl_(std::move(impl)) {}

 private:
  Kind kind_;
  std::shared_ptr<Impl> impl_;
};

// Aligned buffers for FFTW's SIMD code paths.
struct FftFree {
  void operator()(void* p) const;
};
template <typename T>
using FftBuffer = std::unique_ptr<T[], FftFree>;
void* fft_alloc_bytes(std::size_t bytes);
template <typename T>
FftBuffer<T> fft_alloc(std::size_t count) {
  return FftBuffer<T>(static_cast<T*>(fft_alloc_bytes(count * sizeof(T))));
}

// The smallest length >= n with no prime factor above 7, which FFTW transforms fast.
std::size_t fft_friendly_length(std::size_t n);

}  // namespace xct::recon
