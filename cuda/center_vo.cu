// Vo's metric on the device: the host's spectra are uploaded once per call; candidates then run
// in batches sized to a fixed buffer. Per batch, one kernel writes every candidate's stacked
// spectrum rows (center_vo_math.hpp), cuFFT transforms them along the detector axis in place,
// one kernel sums each row's masked magnitudes (a warp per row) and one sums each candidate's
// rows in order. Built with --fmad=false (cuda/CMakeLists.txt).
#include <cuda_runtime.h>
#include <cufft.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <utility>

#include "core/error.hpp"
#include "cuda/center_vo.hpp"
#include "cuda/center_vo_math.hpp"
#include "cuda/cuda_util.cuh"

namespace xct::cuda {

using detail::select_device;

using detail::DeviceBuffer;
using detail::Stream;
using math::Complex;

namespace {

constexpr int kThreads = 256;                 // threads per block of every kernel here
constexpr int kRowsPerBlock = kThreads / 32;  // the row sums: a warp per row
constexpr std::size_t kBatchBytes = std::size_t{256} << 20;  // stacked rows of one batch

unsigned int blocks_for(std::size_t count) {
  const std::size_t b = (count + kThreads - 1) / kThreads;
  return static_cast<unsigned int>(std::clamp<std::size_t>(b, 1, 65535 * 16));
}

// Candidates per batch: as many as fit kBatchBytes of stacked rows (at least one), spread
// evenly over the batches.
std::size_t batch_candidates(std::size_t n_freq, std::size_t n_cols, std::size_t n_candidates) {
  const std::size_t per_candidate = n_freq * n_cols * sizeof(Complex);
  const std::size_t most = std::max<std::size_t>(1, kBatchBytes / per_candidate);
  const std::size_t batches = (n_candidates + most - 1) / most;
  return (n_candidates + batches - 1) / batches;
}

// A batch of in-place complex-to-complex forward transforms of rows of n values.
class RowFft {
 public:
  RowFft(int n, int batch, cudaStream_t stream) {
    XCT_CUFFT_CHECK(cufftCreate(&h_));
    valid_ = true;
    XCT_CUFFT_CHECK(cufftSetStream(h_, stream));
    int dims[1] = {n};
    std::size_t work = 0;
    XCT_CUFFT_CHECK(
        cufftMakePlanMany(h_, 1, dims, nullptr, 1, n, nullptr, 1, n, CUFFT_C2C, batch, &work));
  }
  ~RowFft() {
    if (valid_) cufftDestroy(h_);
  }
  RowFft(const RowFft&) = delete;
  RowFft& operator=(const RowFft&) = delete;
  void forward(Complex* data) const {
    auto* d = reinterpret_cast<cufftComplex*>(data);
    XCT_CUFFT_CHECK(cufftExecC2C(h_, d, d, CUFFT_FORWARD));
  }

 private:
  cufftHandle h_ = 0;
  bool valid_ = false;
};

// The stacked rows of candidates [first, first + count): row (c, v) of n columns at
// rows + ((c - first) n_freq + v) n.
__global__ void __launch_bounds__(kThreads)
    stack_rows(const Complex* __restrict__ a, const Complex* __restrict__ coef,
               const Complex* __restrict__ phase, const VoShift* __restrict__ shifts,
               std::size_t first, std::size_t count, std::size_t n_freq, long n,
               Complex* __restrict__ rows) {
  const std::size_t cols = static_cast<std::size_t>(n), total = count * n_freq * cols;
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const std::size_t line = i / cols, v = line % n_freq, c = line / n_freq;
    const long j = static_cast<long>(i % cols);
    rows[i] = math::vo_stacked_value(a + v * cols, coef + v * cols, phase[v], v % 2 == 1,
                                     shifts[first + c], n, j);
  }
}

// Per transformed row (c, v): the sum over the row's columns of weight times magnitude, in
// double, one warp per row (lanes stride the columns, then a fixed shuffle tree).
__global__ void __launch_bounds__(kThreads)
    row_sums(const Complex* __restrict__ spectra, const float* __restrict__ weight,
             const unsigned long long* __restrict__ reach, std::size_t lines, std::size_t n_freq,
             long n, double* __restrict__ sums) {
  const std::size_t line = blockIdx.x * static_cast<std::size_t>(kRowsPerBlock) + threadIdx.x / 32;
  const int lane = static_cast<int>(threadIdx.x % 32);
  if (line >= lines) return;  // whole warps leave together
  const std::size_t v = line % n_freq, cols = static_cast<std::size_t>(n);
  const math::RowColumns rc = math::row_columns(static_cast<std::size_t>(reach[v]), n);
  const Complex* f = spectra + line * cols;
  const float* w = weight + v * cols;
  double sum = 0.0;
  for (long m = lane; m < rc.count; m += 32) {
    const long u = rc.column(m);
    sum += static_cast<double>(math::weighted_magnitude(w[u], f[u]));
  }
  for (int offset = 16; offset > 0; offset /= 2)
    sum += __shfl_down_sync(0xffffffffu, sum, offset);
  if (lane == 0) sums[line] = sum;
}

// Each candidate's metric: its rows' sums in order of v, over the spectrum's element count.
__global__ void candidate_sums(const double* __restrict__ sums, std::size_t count,
                               std::size_t n_freq, double elements, double* __restrict__ metrics) {
  const std::size_t c = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  if (c >= count) return;
  double total = 0.0;
  for (std::size_t v = 0; v < n_freq; ++v)
    total += sums[c * n_freq + v];
  metrics[c] = total / elements;
}

template <typename T, typename U>
void upload(DeviceBuffer<T>& dst, const U* src, cudaStream_t stream) {
  static_assert(sizeof(T) == sizeof(U));
  XCT_CUDA_CHECK(cudaMemcpyAsync(dst.get(), src, dst.bytes(), cudaMemcpyHostToDevice, stream));
}

}  // namespace

std::size_t vo_metrics_device_bytes(std::size_t n_rows, std::size_t n_cols,
                                    std::size_t n_candidates) {
  const std::size_t n_freq = n_rows + 1;
  const std::size_t batch =
      batch_candidates(n_freq, n_cols, std::max<std::size_t>(1, n_candidates));
  const std::size_t spectra = n_freq * n_cols * (2 * sizeof(Complex) + sizeof(float)) +
                              n_freq * (sizeof(Complex) + sizeof(unsigned long long));
  const std::size_t rows = batch * n_freq * n_cols * sizeof(Complex);
  return spectra + 2 * rows + batch * n_freq * sizeof(double) +
         n_candidates * (sizeof(VoShift) + sizeof(double));
}

std::vector<double> vo_metrics(const VoSpectraRef& s, const std::vector<VoShift>& shifts,
                               int device) {
  XCT_CHECK(s.n_rows >= 1 && s.n_cols >= 1 && s.n_freq == s.n_rows + 1 && s.a && s.flip_coef &&
                s.comp_phase && s.weight && s.reach,
            ErrorKind::Usage, "the spectra of Vo's metric are incomplete");
  XCT_CHECK(
      s.n_cols < static_cast<std::size_t>(INT_MAX) && s.n_freq < static_cast<std::size_t>(INT_MAX),
      ErrorKind::Usage, "the sinogram is too large for Vo's metric on the device");
  const std::size_t n_candidates = shifts.size();
  std::vector<double> out(n_candidates);
  if (n_candidates == 0) return out;
  select_device(device);
  std::size_t free_b = 0, total_b = 0;
  XCT_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  const std::size_t need = vo_metrics_device_bytes(s.n_rows, s.n_cols, n_candidates);
  XCT_CHECK(need <= free_b, ErrorKind::DeviceUnavailable, "Vo's metric needs ", need >> 20,
            " MiB of GPU memory but ", free_b >> 20, " MiB are free");

  const std::size_t n_freq = s.n_freq, cols = s.n_cols, plane = n_freq * cols;
  const std::size_t batch = batch_candidates(n_freq, cols, n_candidates);
  XCT_CHECK(batch * n_freq < static_cast<std::size_t>(INT_MAX), ErrorKind::Usage,
            "too many spectrum rows for one transform batch");
  Stream stream;
  const cudaStream_t st = stream.get();
  DeviceBuffer<Complex> a(plane), coef(plane), phase(n_freq), rows(batch * plane);
  DeviceBuffer<float> weight(plane);
  DeviceBuffer<unsigned long long> reach(n_freq);
  DeviceBuffer<VoShift> d_shifts(n_candidates);
  DeviceBuffer<double> sums(batch * n_freq), metrics(n_candidates);
  std::vector<unsigned long long> reach_host(s.reach, s.reach + n_freq);
  upload(a, s.a, st);
  upload(coef, s.flip_coef, st);
  upload(phase, s.comp_phase, st);
  upload(weight, s.weight, st);
  upload(reach, reach_host.data(), st);
  upload(d_shifts, shifts.data(), st);
  // The rows past the last candidate of a short batch are transformed but never read; they are
  // cleared once so that the transform never reads uninitialised memory.
  XCT_CUDA_CHECK(cudaMemsetAsync(rows.get(), 0, rows.bytes(), st));
  const RowFft fft(static_cast<int>(cols), static_cast<int>(batch * n_freq), st);
  const long n = static_cast<long>(cols);
  const double elements = 2.0 * static_cast<double>(s.n_rows) * static_cast<double>(cols);

  for (std::size_t first = 0; first < n_candidates; first += batch) {
    const std::size_t count = std::min(batch, n_candidates - first);
    stack_rows<<<blocks_for(count * plane), kThreads, 0, st>>>(
        a.get(), coef.get(), phase.get(), d_shifts.get(), first, count, n_freq, n, rows.get());
    XCT_CUDA_LAUNCHED();
    fft.forward(rows.get());
    const std::size_t lines = count * n_freq;
    const std::size_t row_blocks = (lines + kRowsPerBlock - 1) / kRowsPerBlock;
    row_sums<<<static_cast<unsigned int>(row_blocks), kThreads, 0, st>>>(
        rows.get(), weight.get(), reach.get(), lines, n_freq, n, sums.get());
    XCT_CUDA_LAUNCHED();
    candidate_sums<<<static_cast<unsigned int>((count + kThreads - 1) / kThreads), kThreads, 0,
                     st>>>(sums.get(), count, n_freq, elements, metrics.get() + first);
    XCT_CUDA_LAUNCHED();
  }
  XCT_CUDA_CHECK(
      cudaMemcpyAsync(out.data(), metrics.get(), metrics.bytes(), cudaMemcpyDeviceToHost, st));
  stream.synchronize();
  return out;
}

}  // namespace xct::cuda
