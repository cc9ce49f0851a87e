// Device preprocessing: flat-field of uint16 counts, zinger removal and -log, as grid-stride
// kernels around the arithmetic of prep_math.hpp. Counts are summed per block with CUB and
// added to the caller's device counter with one atomic per block. Built with --fmad=false
// (cuda/CMakeLists.txt), and the arithmetic uses the explicitly rounded operations besides.
#include <cub/cub.cuh>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "core/error.hpp"
#include "cuda/cuda_util.cuh"
#include "cuda/prep.hpp"
#include "cuda/prep_math.hpp"

namespace xct::cuda {

using detail::select_device;

using detail::DeviceBuffer;
using detail::Stream;

namespace {

constexpr int kThreads = 256;  // threads per block of every kernel here

// Blocks for a grid-stride loop over `count` elements (at least one).
unsigned int blocks_for(std::size_t count) {
  const std::size_t b = (count + kThreads - 1) / kThreads;
  return static_cast<unsigned int>(std::clamp<std::size_t>(b, 1, 65535 * 16));
}

cudaStream_t as_stream(void* stream) {
  return static_cast<cudaStream_t>(stream);
}

// Adds the block's per-thread counts to *counter (when given) with one atomic. Every thread of
// the block calls it.
__device__ void add_block_count(unsigned long long local, unsigned long long* counter) {
  using Reduce = cub::BlockReduce<unsigned long long, kThreads>;
  __shared__ typename Reduce::TempStorage storage;
  const unsigned long long total = Reduce(storage).Sum(local);
  if (threadIdx.x == 0 && counter != nullptr && total != 0) atomicAdd(counter, total);
}

// Raw counts [rows][angles][cols] to transmission (math::counts_to_transmission) with the
// dark and denominator of each row [rows][cols].
__global__ void __launch_bounds__(kThreads)
    flat_field_kernel(const std::uint16_t* __restrict__ raw, const float* __restrict__ dark,
                      const float* __restrict__ denom, std::size_t rows, std::size_t angles,
                      std::size_t cols, bool policy_one, float* __restrict__ out,
                      unsigned long long* nonpositive) {
  const std::size_t per_row = angles * cols, count = rows * per_row;
  unsigned long long hits = 0;
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const std::size_t p = (i / per_row) * cols + i % cols;
    const math::Transmission t =
        math::counts_to_transmission(raw[i], dark[p], denom[p], policy_one);
    out[i] = t.value;
    hits += t.nonpositive ? 1 : 0;
  }
  add_block_count(hits, nonpositive);
}

// -ln in place (math::minus_log_value).
__global__ void __launch_bounds__(kThreads)
    minus_log_kernel(float* __restrict__ data, std::size_t count, unsigned long long* clamped) {
  unsigned long long hits = 0;
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const math::Attenuation a = math::minus_log_value(data[i]);
    data[i] = a.value;
    hits += a.clamped ? 1 : 0;
  }
  add_block_count(hits, clamped);
}

// Zinger removal of `sinos` sinograms: reads the copy `src`, writes `dst` (both [sinos][rows]
// [cols] with the geometry's rows and cols).
__global__ void __launch_bounds__(kThreads)
    zinger_kernel(const float* __restrict__ src, std::size_t sinos, math::ZingerGeometry g,
                  float* __restrict__ dst, unsigned long long* replaced) {
  const std::size_t cols = static_cast<std::size_t>(g.cols);
  const std::size_t per_sino = static_cast<std::size_t>(g.rows) * cols, count = sinos * per_sino;
  unsigned long long hits = 0;
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const std::size_t sino = i / per_sino, within = i % per_sino;
    const math::ZingerSample z =
        math::zinger_sample(src + sino * per_sino, g, static_cast<long long>(within / cols),
                            static_cast<long long>(within % cols));
    dst[i] = z.value;
    hits += z.hit ? 1 : 0;
  }
  add_block_count(hits, replaced);
}

void check_zinger_setup(const ZingerSetup& s) {
  XCT_CHECK(s.size >= 1, ErrorKind::Usage, "zinger size must be at least 1 pixel");
  XCT_CHECK(std::isfinite(s.threshold) && s.threshold > 0, ErrorKind::Usage,
            "zinger threshold must be a positive number");
}

template <typename T>
std::size_t contiguous_size(HostView<T, 3> v, const char* what) {
  XCT_CHECK(v.is_contiguous(), ErrorKind::Usage, what, " must be contiguous");
  return v.size();
}

}  // namespace

void flat_field_counts(const std::uint16_t* d_raw, const float* d_dark, const float* d_denom,
                       std::size_t rows, std::size_t angles, std::size_t cols, NonPositive policy,
                       float* d_out, unsigned long long* d_nonpositive, void* stream) {
  const std::size_t count = rows * angles * cols;
  if (count == 0) return;
  flat_field_kernel<<<blocks_for(count), kThreads, 0, as_stream(stream)>>>(
      d_raw, d_dark, d_denom, rows, angles, cols, policy == NonPositive::One, d_out, d_nonpositive);
  XCT_CUDA_LAUNCHED();
}

void minus_log(float* d_data, std::size_t n, unsigned long long* d_clamped, void* stream) {
  if (n == 0) return;
  minus_log_kernel<<<blocks_for(n), kThreads, 0, as_stream(stream)>>>(d_data, n, d_clamped);
  XCT_CUDA_LAUNCHED();
}

struct ZingerRemover::Impl {
  ZingerSetup setup;
  std::size_t max_rows = 0, angles = 0, cols = 0;
  int device = 0;
  DeviceBuffer<float> copy;  // [max_rows][angles][cols]: the input of one batch
};

ZingerRemover::ZingerRemover(const ZingerSetup& setup, std::size_t max_rows, std::size_t angles,
                             std::size_t cols, int device) {
  check_zinger_setup(setup);
  XCT_CHECK(max_rows >= 1 && angles >= 1 && cols >= 1, ErrorKind::Usage,
            "zinger removal on the device needs at least one row, angle and column");
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<long long>::max());
  XCT_CHECK(angles < kMax / cols, ErrorKind::Usage, "the sinograms are too large");
  select_device(device);
  std::size_t free_b = 0, total_b = 0;
  XCT_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  const std::size_t need = device_bytes(max_rows, angles, cols);
  XCT_CHECK(need <= free_b, ErrorKind::DeviceUnavailable, "zinger removal needs ", need >> 20,
            " MiB of GPU memory for ", max_rows, " rows but ", free_b >> 20, " MiB are free");
  impl_ = std::make_unique<Impl>();
  impl_->setup = setup;
  impl_->max_rows = max_rows;
  impl_->angles = angles;
  impl_->cols = cols;
  impl_->device = device;
  impl_->copy = DeviceBuffer<float>(max_rows * angles * cols);
}

ZingerRemover::~ZingerRemover() = default;
ZingerRemover::ZingerRemover(ZingerRemover&&) noexcept = default;
ZingerRemover& ZingerRemover::operator=(ZingerRemover&&) noexcept = default;

const ZingerSetup& ZingerRemover::setup() const {
  return impl_->setup;
}
std::size_t ZingerRemover::max_rows() const {
  return impl_->max_rows;
}

std::size_t ZingerRemover::device_bytes(std::size_t max_rows, std::size_t angles,
                                        std::size_t cols) {
  return max_rows * angles * cols * sizeof(float);
}

// The CPU's remove_zinger refuses a non-finite sample (BadData). On the device route the
// sinograms are transmission from uint16 counts (flat_field_counts), at most 65535 / denom,
// finite for every positive finite flat - dark above 2e-34, so no check is made here: a NaN
// or Inf would pass through as it is (the comparisons with it are false) instead of failing.
void ZingerRemover::run(float* d_sinos, std::size_t rows, unsigned long long* d_replaced,
                        void* stream) {
  const Impl& m = *impl_;
  XCT_CUDA_CHECK(cudaSetDevice(m.device));
  const std::size_t per_row = m.angles * m.cols;
  const math::ZingerGeometry g =
      math::zinger_geometry(m.angles, m.cols, m.setup.size, m.setup.threshold, m.setup.frame_check);
  for (std::size_t begin = 0; begin < rows; begin += m.max_rows) {
    const std::size_t n = std::min(m.max_rows, rows - begin);
    float* batch = d_sinos + begin * per_row;
    XCT_CUDA_CHECK(cudaMemcpyAsync(m.copy.get(), batch, n * per_row * sizeof(float),
                                   cudaMemcpyDeviceToDevice, as_stream(stream)));
    zinger_kernel<<<blocks_for(n * per_row), kThreads, 0, as_stream(stream)>>>(m.copy.get(), n, g,
                                                                               batch, d_replaced);
    XCT_CUDA_LAUNCHED();
  }
}

std::uint64_t flat_field_counts(HostView<const std::uint16_t, 3> raw, HostView<const float, 2> dark,
                                HostView<const float, 2> denom, NonPositive policy,
                                HostView<float, 3> out, int device) {
  const std::size_t rows = raw.extent(0), angles = raw.extent(1), cols = raw.extent(2);
  const std::size_t count = contiguous_size(raw, "the counts");
  XCT_CHECK(out.shape() == raw.shape() && out.is_contiguous(), ErrorKind::Usage,
            "the transmission must be contiguous and shaped as the counts");
  XCT_CHECK(dark.extent(0) == rows && dark.extent(1) == cols && dark.is_contiguous() &&
                denom.extent(0) == rows && denom.extent(1) == cols && denom.is_contiguous(),
            ErrorKind::Usage, "the dark and the flat - dark must be contiguous [rows, cols]");
  select_device(device);
  Stream stream;
  DeviceBuffer<std::uint16_t> d_raw(count);
  DeviceBuffer<float> d_dark(rows * cols), d_denom(rows * cols), d_out(count);
  DeviceBuffer<unsigned long long> d_count(1);
  const cudaStream_t s = stream.get();
  XCT_CUDA_CHECK(cudaMemsetAsync(d_count.get(), 0, d_count.bytes(), s));
  XCT_CUDA_CHECK(
      cudaMemcpyAsync(d_raw.get(), raw.data(), d_raw.bytes(), cudaMemcpyHostToDevice, s));
  XCT_CUDA_CHECK(
      cudaMemcpyAsync(d_dark.get(), dark.data(), d_dark.bytes(), cudaMemcpyHostToDevice, s));
  XCT_CUDA_CHECK(
      cudaMemcpyAsync(d_denom.get(), denom.data(), d_denom.bytes(), cudaMemcpyHostToDevice, s));
  flat_field_counts(d_raw.get(), d_dark.get(), d_denom.get(), rows, angles, cols, policy,
                    d_out.get(), d_count.get(), s);
  unsigned long long fixed = 0;
  XCT_CUDA_CHECK(
      cudaMemcpyAsync(out.data(), d_out.get(), d_out.bytes(), cudaMemcpyDeviceToHost, s));
  XCT_CUDA_CHECK(cudaMemcpyAsync(&fixed, d_count.get(), sizeof(fixed), cudaMemcpyDeviceToHost, s));
  stream.synchronize();
  return fixed;
}

std::uint64_t minus_log(HostView<float, 1> data, int device) {
  XCT_CHECK(data.is_contiguous(), ErrorKind::Usage, "the samples must be contiguous");
  select_device(device);
  Stream stream;
  const cudaStream_t s = stream.get();
  DeviceBuffer<float> d_data(data.size());
  DeviceBuffer<unsigned long long> d_count(1);
  XCT_CUDA_CHECK(cudaMemsetAsync(d_count.get(), 0, d_count.bytes(), s));
  XCT_CUDA_CHECK(
      cudaMemcpyAsync(d_data.get(), data.data(), d_data.bytes(), cudaMemcpyHostToDevice, s));
  minus_log(d_data.get(), data.size(), d_count.get(), s);
  unsigned long long clamped = 0;
  XCT_CUDA_CHECK(
      cudaMemcpyAsync(data.data(), d_data.get(), d_data.bytes(), cudaMemcpyDeviceToHost, s));
  XCT_CUDA_CHECK(
      cudaMemcpyAsync(&clamped, d_count.get(), sizeof(clamped), cudaMemcpyDeviceToHost, s));
  stream.synchronize();
  return clamped;
}

std::uint64_t remove_zinger(const ZingerSetup& setup, HostView<float, 3> sinos, int device,
                            std::size_t max_rows) {
  const std::size_t count = contiguous_size(sinos, "the sinograms");
  const std::size_t rows = sinos.extent(0);
  if (count == 0) {
    check_zinger_setup(setup);
    return 0;
  }
  ZingerRemover remover(setup, max_rows == 0 ? rows : std::min(max_rows, rows), sinos.extent(1),
                        sinos.extent(2), device);
  Stream stream;
  const cudaStream_t s = stream.get();
  DeviceBuffer<float> d_sinos(count);
  DeviceBuffer<unsigned long long> d_count(1);
  XCT_CUDA_CHECK(cudaMemsetAsync(d_count.get(), 0, d_count.bytes(), s));
  XCT_CUDA_CHECK(
      cudaMemcpyAsync(d_sinos.get(), sinos.data(), d_sinos.bytes(), cudaMemcpyHostToDevice, s));
  remover.run(d_sinos.get(), rows, d_count.get(), s);
  unsigned long long replaced = 0;
  XCT_CUDA_CHECK(
      cudaMemcpyAsync(sinos.data(), d_sinos.get(), d_sinos.bytes(), cudaMemcpyDeviceToHost, s));
  XCT_CUDA_CHECK(
      cudaMemcpyAsync(&replaced, d_count.get(), sizeof(replaced), cudaMemcpyDeviceToHost, s));
  stream.synchronize();
  return replaced;
}

}  // namespace xct::cuda
