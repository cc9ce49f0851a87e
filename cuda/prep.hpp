// Preprocessing on a CUDA device, behind a plain C++ header: flat-field of raw uint16 counts,
// zinger removal and -log, each the device twin of a CPU step in recon/ (flatfield.cpp,
// zinger.cpp). Built from prep.cu when CUDA is compiled in and from prep_stub.cpp otherwise,
// where every function throws DeviceUnavailable.
//
// The device functions work on device memory, in the order of the stream they are given (a
// cudaStream_t passed as void*; nullptr is the default stream), and add what they fixed to
// device counters (unsigned long long) that the caller clears and reads back (a null counter:
// not counted). Their arithmetic is that of cuda/prep_math.hpp, which rounds as the CPU does:
// the flat-field and the zinger removal give the CPU's bytes exactly, -log the CPU's values to
// the rounding of logf. The host wrappers at the end upload, run, download and return the
// counts, for tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/array.hpp"
#include "cuda/fbp.hpp"  // NonPositive

namespace xct::cuda {

// Raw counts [rows, angles, cols] to transmission (raw - dark) / denom, with dark and denom
// (flat - dark, bad pixels already fixed) [rows, cols], as recon::flat_field with one flat
// group: samples with raw - dark <= 0 get the policy's value (0.5 / denom or 1) and are counted
// into *d_nonpositive. Bit for bit the CPU's output.
void flat_field_counts(const std::uint16_t* d_raw, const float* d_dark, const float* d_denom,
                       std::size_t rows, std::size_t angles, std::size_t cols, NonPositive policy,
                       float* d_out, unsigned long long* d_nonpositive, void* stream);

// -ln(t) in place over n samples, as recon::minus_log: t <= 0 or non-finite becomes 0 (zero
// attenuation) and is counted into *d_clamped.
void minus_log(float* d_data, std::size_t n, unsigned long long* d_clamped, void* stream);

// recon::ZingerParams without check_size (the size check labels connected regions and stays
// on the CPU).
struct ZingerSetup {
  double threshold = 0.08;
  std::size_t size = 2;
  bool frame_check = true;
};

// Zinger removal on sinograms [rows, angles, cols] in place, each sinogram as
// recon::remove_zinger(sino, sino, {threshold, size, false, frame_check}): the 8-neighbour mean
// at distance `size` with wrap-around, a mean of exactly 0 taken as 1, the frame check; the
// same bytes as the CPU. The neighbours are read from a copy of the batch, which the remover
// holds for up to max_rows sinograms; more rows run in batches. Not thread-safe.
class ZingerRemover {
 public:
  // Throws Usage for a size below 1, a threshold that is not a positive number or an empty
  // geometry, DeviceUnavailable when the device cannot be used or lacks the memory.
  ZingerRemover(const ZingerSetup& setup, std::size_t max_rows, std::size_t angles,
                std::size_t cols, int device = 0);
  ~ZingerRemover();
  ZingerRemover(ZingerRemover&&) noexcept;
  ZingerRemover& operator=(ZingerRemover&&) noexcept;

  const ZingerSetup& setup() const;
  std::size_t max_rows() const;

  // Device memory a remover of max_rows sinograms holds (the copy of one batch).
  static std::size_t device_bytes(std::size_t max_rows, std::size_t angles, std::size_t cols);

  // Removes zingers from `rows` sinograms at d_sinos (device memory, contiguous [rows, angles,
  // cols]), in the order of `stream`; the replaced samples are added to *d_replaced (when not
  // null). The input must be finite (see prep.cu). The copy is the remover's one buffer: calls
  // on different streams must not overlap.
  void run(float* d_sinos, std::size_t rows, unsigned long long* d_replaced, void* stream);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------------------------------------
// Host wrappers (for tests and checks): each uploads its input to `device`, runs the step,
// downloads the result and returns the count the step adds up.

// Returns the samples at or below the dark. raw [rows, angles, cols], dark and denom [rows,
// cols], out as raw; all contiguous.
std::uint64_t flat_field_counts(HostView<const std::uint16_t, 3> raw, HostView<const float, 2> dark,
                                HostView<const float, 2> denom, NonPositive policy,
                                HostView<float, 3> out, int device = 0);

// Returns the clamped samples; data contiguous, in place.
std::uint64_t minus_log(HostView<float, 1> data, int device = 0);

// Returns the replaced samples; sinos [rows, angles, cols], contiguous, in place, in batches of
// max_rows sinograms (0: all at once).
std::uint64_t remove_zinger(const ZingerSetup& setup, HostView<float, 3> sinos, int device = 0,
                            std::size_t max_rows = 0);

}  // namespace xct::cuda
