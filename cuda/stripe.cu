// The device ring removal: each batch of sinograms is transposed into per-column lines
// [rows][cols][angles], the lines are sorted (one block each), median-filtered across columns
// and put back in angle order, and the result is transposed back into the sinograms, with
// the detectors' column statistics computed on the device and the detection run on the host
// once per batch and step.
#include <algorithm>
#include <cub/device/device_segmented_sort.cuh>
#include <limits>
#include <utility>

#include "cuda/cuda_util.cuh"
#include "cuda/stripe.hpp"
#include "cuda/stripe_kernels.cuh"

namespace xct::cuda {

namespace k = stripe_kernels;
namespace sm = stripe_math;
using detail::DeviceBuffer;
using detail::Event;
using detail::Stream;

namespace {

constexpr std::size_t kFftRows = 4;              // sinograms low-passed by one cuFFT batch
constexpr int kMaxBlockSort = 8192;              // the longest line one block sorts
constexpr int kMedianChunk = 64;                 // columns per thread of the sliding median
constexpr std::size_t kMedianShared = 32 << 10;  // bytes of sliding windows per block
constexpr std::size_t kMaxShared = 48 << 10;     // dynamic shared memory without opt-in

// Which buffers a method uses: the per-column lines (every method but Dead alone), the large
// stripe statistics, the dead stripe statistics.
bool uses_lines(const StripeSetup& s) {
  return !(s.method == StripeMethod::Dead && !s.dead_residual);
}
bool uses_large(const StripeSetup& s) {
  return s.method == StripeMethod::Large || s.method == StripeMethod::All ||
         (s.method == StripeMethod::Dead && s.dead_residual);
}
bool uses_dead(const StripeSetup& s) {
  return s.method == StripeMethod::Dead || s.method == StripeMethod::All;
}

void check_setup(const StripeSetup& s, std::size_t max_rows) {
  constexpr std::size_t kIntMax = static_cast<std::size_t>(std::numeric_limits<int>::max());
  XCT_CHECK(s.n_angles >= 1 && s.n_cols >= 1 && max_rows >= 1, ErrorKind::Usage,
            "the device ring removal needs angles, columns and at least one row");
  XCT_CHECK(max_rows <= 65535 && s.n_angles <= (1u << 20) && s.n_cols <= (1u << 21) &&
                s.n_cols <= kIntMax / max_rows,
            ErrorKind::Usage, "the device ring removal geometry is too large (", max_rows,
            " rows of ", s.n_angles, " x ", s.n_cols, ")");
  XCT_CHECK(s.size >= 1 && s.size <= kIntMax && s.large_size >= 1 && s.large_size <= kIntMax &&
                s.smooth_strength >= 1 && s.smooth_strength <= kIntMax,
            ErrorKind::Usage, "the device ring removal windows must be at least 1");
  XCT_CHECK(s.dim == 1 || s.dim == 2, ErrorKind::Usage, "stripe removal: dim must be 1 or 2, not ",
            s.dim);
  if (s.method == StripeMethod::Filter)
    XCT_CHECK(s.n_fft >= s.n_angles + s.shift && s.n_fft <= (1u << 20) &&
                  s.gain.size() == s.n_fft / 2 + 1,
              ErrorKind::Usage, "the device low-pass does not match its transform length");
  if (uses_large(s))
    XCT_CHECK(static_cast<bool>(s.detect_large) && 2 * s.large_drop < s.n_angles, ErrorKind::Usage,
              "the device large-stripe step needs a detector and fewer dropped rows");
  if (uses_dead(s))
    XCT_CHECK(static_cast<bool>(s.detect_dead), ErrorKind::Usage,
              "the device dead-stripe step needs a detector");
}

// cuFFT's work area for a plan of `batch` double complex transforms of n samples.
std::size_t fft_work_estimate(std::size_t n, std::size_t batch) {
  std::size_t work = 0;
  if (cufftEstimate1d(static_cast<int>(n), CUFFT_Z2Z, static_cast<int>(batch), &work) !=
      CUFFT_SUCCESS)
    work = 2 * batch * n * sizeof(cufftDoubleComplex);
  return work;
}

// A batch of in-place double complex transforms of n contiguous samples per line, both
// directions: the low-pass is computed in double, as on the CPU (FFTW's double transforms)
// and in Algotom (numpy.fft), and rounded to float once. Each line is transformed on its own,
// as FFTW transforms each column on the CPU, so that a column of zeros stays zeros, as it
// does on the CPU (batched real-to-complex transforms of odd length gave a zero column a
// low-pass of rounding noise, which sorting then ordered differently from the CPU's ties).
class LinePlan {
 public:
  LinePlan() = default;
  ~LinePlan() {
    if (valid_) cufftDestroy(h_);
  }
  LinePlan(LinePlan&& o) noexcept : h_(o.h_), valid_(std::exchange(o.valid_, false)) {}
  LinePlan& operator=(LinePlan&& o) noexcept {
    if (this != &o) {
      if (valid_) cufftDestroy(h_);
      h_ = o.h_;
      valid_ = std::exchange(o.valid_, false);
    }
    return *this;
  }
  LinePlan(const LinePlan&) = delete;
  LinePlan& operator=(const LinePlan&) = delete;

  static LinePlan make(int n, int batch) {
    LinePlan p;
    int len[1] = {n};
    XCT_CUFFT_CHECK(cufftCreate(&p.h_));
    p.valid_ = true;
    std::size_t work = 0;
    XCT_CUFFT_CHECK(
        cufftMakePlanMany(p.h_, 1, len, nullptr, 1, n, nullptr, 1, n, CUFFT_Z2Z, batch, &work));
    return p;
  }
  cufftHandle get() const { return h_; }

 private:
  cufftHandle h_ = 0;
  bool valid_ = false;
};

template <int kBlock, int kItems>
void launch_sort(float* data, int n, std::uint32_t* source, std::size_t lines, cudaStream_t s) {
  k::sort_lines<kBlock, kItems><<<static_cast<unsigned>(lines), kBlock, 0, s>>>(data, n, source);
  XCT_CUDA_LAUNCHED();
}

// The tile grid of the transposes: (column tiles, tiles of `length`, rows).
dim3 tile_grid(std::size_t n_cols, std::size_t length, std::size_t rows) {
  return dim3(static_cast<unsigned>((n_cols + k::kTile - 1) / k::kTile),
              static_cast<unsigned>((length + k::kTile - 1) / k::kTile),
              static_cast<unsigned>(rows));
}

}  // namespace

struct StripeRemover::Impl {
  StripeSetup setup;
  std::size_t max_rows = 0;
  int device = 0;
  int n_angles = 0, n_cols = 0;

  Stream stream;                               // run_host's
  DeviceBuffer<float> t0, t1;                  // lines [max_rows][cols][angles]
  DeviceBuffer<std::uint32_t> source;          // where each sorted sample came from
  std::size_t fft_rows = 0;                    // Filter: sinograms per transform batch
  DeviceBuffer<cufftDoubleComplex> lines;      // Filter: [fft_rows][cols][n_fft]
  DeviceBuffer<double> gain;                   // Filter: n_fft / 2 + 1
  LinePlan plan;                               // Filter: fft_rows x cols transforms
  DeviceBuffer<double> l1, l2, divisor;        // Large: [max_rows][cols]
  DeviceBuffer<std::uint8_t> mask;             // Large: [max_rows][cols]
  DeviceBuffer<float> deviation;               // Dead: [max_rows][cols]
  DeviceBuffer<sm::ColumnFill> fills;          // Dead: up to max_rows x cols
  DeviceBuffer<std::uint32_t> index;           // lines over kMaxBlockSort: 0 ... n - 1 per line
  DeviceBuffer<long long> offsets;             // and the line starts
  DeviceBuffer<unsigned char> sort_temp;       // and cub's temporary storage
  DeviceBuffer<unsigned long long> first_bad;  // the first non-finite sample
  DeviceBuffer<float> host_sinos;              // run_host's batch, made on first use
  Event e_start, e_end;
  double seconds = 0;

  // Host copies of the statistics and what the detectors make of them.
  std::vector<double> h_l1, h_l2, h_divisor;
  std::vector<std::uint8_t> h_mask;
  std::vector<float> h_deviation;
  std::vector<sm::ColumnFill> h_fills;
  unsigned long long h_first_bad = 0;

  Impl(StripeSetup&& s, std::size_t rows, int dev)
      : setup(std::move(s)),
        max_rows(rows),
        device(dev),
        n_angles(static_cast<int>(setup.n_angles)),
        n_cols(static_cast<int>(setup.n_cols)) {}

  void use_device() const { XCT_CUDA_CHECK(cudaSetDevice(device)); }

  std::size_t per_row() const { return setup.n_angles * setup.n_cols; }

  // Synchronises `s`, then throws BadData when find_nonfinite found a sample of the batch.
  void check_finite(cudaStream_t s) {
    XCT_CUDA_CHECK(cudaMemcpyAsync(&h_first_bad, first_bad.get(), sizeof(h_first_bad),
                                   cudaMemcpyDeviceToHost, s));
    XCT_CUDA_CHECK(cudaStreamSynchronize(s));
    if (h_first_bad == ~0ull) return;
    XCT_THROW(ErrorKind::BadData, "ring removal: the sinogram of batch row ",
              h_first_bad / per_row(), " holds NaN or Inf at (",
              (h_first_bad % per_row()) / setup.n_cols, ", ", h_first_bad % setup.n_cols, ")");
  }

  // Sinograms into lines t0 [rows][cols][angles].
  void to_lines(const float* d, std::size_t rows, cudaStream_t s) {
    k::columns_to_lines<float>
        <<<tile_grid(setup.n_cols, setup.n_angles, rows), dim3(k::kTile, k::kTileRows), 0, s>>>(
            d, n_angles, n_cols, t0.get(), setup.n_angles, n_angles, 0, n_angles, false);
    XCT_CUDA_LAUNCHED();
  }

  // Lines `in` [rows][cols][angles] back into the sinograms, combined as Mode says.
  template <int Mode>
  void from_lines(const float* in, float* d, std::size_t rows, cudaStream_t s,
                  const std::uint8_t* only = nullptr, const double* div = nullptr) {
    k::lines_to_columns<Mode>
        <<<tile_grid(setup.n_cols, setup.n_angles, rows), dim3(k::kTile, k::kTileRows), 0, s>>>(
            in, setup.n_angles, n_angles, n_cols, d, only, div);
    XCT_CUDA_LAUNCHED();
  }

  // Sorts every line of t0 in place (sort_columns), the sources into `source`.
  void sort_lines(std::size_t rows, cudaStream_t s) {
    const std::size_t lines = rows * setup.n_cols;
    const int n = n_angles;
    float* d = t0.get();
    std::uint32_t* src = source.get();
    if (n <= 256) return launch_sort<128, 2>(d, n, src, lines, s);
    if (n <= 512) return launch_sort<256, 2>(d, n, src, lines, s);
    if (n <= 1024) return launch_sort<256, 4>(d, n, src, lines, s);
    if (n <= 2048) return launch_sort<256, 8>(d, n, src, lines, s);
    if (n <= 3072) return launch_sort<256, 12>(d, n, src, lines, s);
    if (n <= 4096) return launch_sort<256, 16>(d, n, src, lines, s);
    if (n <= 6144) return launch_sort<512, 12>(d, n, src, lines, s);
    if (n <= kMaxBlockSort) return launch_sort<512, 16>(d, n, src, lines, s);
    // Longer lines: keys into t1, a segmented stable sort of (key, position) into t0 and
    // `source`, and the keys back to floats.
    const std::size_t count = lines * setup.n_angles;
    auto* keys_in = reinterpret_cast<std::uint32_t*>(t1.get());
    auto* keys_out = reinterpret_cast<std::uint32_t*>(t0.get());
    k::make_keys<<<k::blocks_for(count), k::kThreads, 0, s>>>(d, count, n, keys_in, index.get());
    XCT_CUDA_LAUNCHED();
    k::line_offsets<<<k::blocks_for(lines + 1), k::kThreads, 0, s>>>(offsets.get(), lines, n);
    XCT_CUDA_LAUNCHED();
    const long long* starts = offsets.get();
    std::size_t temp_bytes = 0;
    XCT_CUDA_CHECK(cub::DeviceSegmentedSort::StableSortPairs(
        nullptr, temp_bytes, keys_in, keys_out, index.get(), src, static_cast<long long>(count),
        static_cast<long long>(lines), starts, starts + 1, s));
    if (temp_bytes > sort_temp.size()) {
      XCT_CUDA_CHECK(cudaStreamSynchronize(s));
      sort_temp = DeviceBuffer<unsigned char>(temp_bytes);
    }
    temp_bytes = sort_temp.size();
    XCT_CUDA_CHECK(cub::DeviceSegmentedSort::StableSortPairs(
        sort_temp.get(), temp_bytes, keys_in, keys_out, index.get(), src,
        static_cast<long long>(count), static_cast<long long>(lines), starts, starts + 1, s));
    k::keys_to_floats<<<k::blocks_for(count), k::kThreads, 0, s>>>(keys_out, count);
    XCT_CUDA_LAUNCHED();
  }

  // The median across columns of lines `in` into `out` ([rows][cols][angles]): a 1 x size
  // window (sliding, in shared memory, when it fits) or size x size with dim 2.
  void median(const float* in, float* out, std::size_t rows, std::size_t size, int dim,
              cudaStream_t s) {
    const int w = static_cast<int>(size);
    const std::size_t count = rows * per_row();
    if (dim == 2) {
      k::median_select<<<k::blocks_for(count), k::kThreads, 0, s>>>(in, out, n_angles, n_cols, rows,
                                                                    w, w);
      XCT_CUDA_LAUNCHED();
      return;
    }
    int threads = 256;
    while (threads > 32 && threads * size * sizeof(float) > kMedianShared)
      threads /= 2;
    const std::size_t shared = threads * size * sizeof(float);
    if (shared > kMaxShared) {
      k::median_select<<<k::blocks_for(count), k::kThreads, 0, s>>>(in, out, n_angles, n_cols, rows,
                                                                    1, w);
      XCT_CUDA_LAUNCHED();
      return;
    }
    const dim3 grid(static_cast<unsigned>((setup.n_angles + threads - 1) / threads),
                    static_cast<unsigned>((setup.n_cols + kMedianChunk - 1) / kMedianChunk),
                    static_cast<unsigned>(rows));
    k::median_lines<<<grid, threads, shared, s>>>(in, out, n_angles, n_cols, w, kMedianChunk);
    XCT_CUDA_LAUNCHED();
  }

  // Sorted lines `in` back in angle order into `out` (only lines flagged in `only`, if given).
  void unsort(const float* in, float* out, std::size_t rows, const std::uint8_t* only,
              cudaStream_t s) {
    const std::size_t lines = rows * setup.n_cols;
    if (n_angles <= kMaxBlockSort) {
      k::unsort_lines<<<static_cast<unsigned>(lines), k::kThreads, setup.n_angles * sizeof(float),
                        s>>>(in, source.get(), n_angles, only, out);
    } else {
      const std::size_t count = lines * setup.n_angles;
      k::unsort_lines_global<<<k::blocks_for(count), k::kThreads, 0, s>>>(
          in, source.get(), n_angles, count, only, out);
    }
    XCT_CUDA_LAUNCHED();
  }

  // remove_stripe_based_sorting on every row: lines, sort, median, unsort, back.
  void sort_step(float* d, std::size_t rows, std::size_t size, int dim, cudaStream_t s) {
    to_lines(d, rows, s);
    sort_lines(rows, s);
    median(t0.get(), t1.get(), rows, size, dim, s);
    unsort(t1.get(), t0.get(), rows, nullptr, s);
    from_lines<k::kCopy>(t0.get(), d, rows, s);
  }

  // remove_stripe_based_filtering: the low-pass of each column in double (kFftRows sinograms
  // per transform), rounded to float into t0, the high-pass left in the sinograms, the median
  // of the (sorted) low-pass added back.
  void filter_step(float* d, std::size_t rows, cudaStream_t s) {
    const std::size_t n = setup.n_fft, batch_lines = fft_rows * setup.n_cols;
    const int n_ext = static_cast<int>(std::min(n, setup.n_angles + 2 * setup.shift));
    XCT_CUFFT_CHECK(cufftSetStream(plan.get(), s));
    for (std::size_t r0 = 0; r0 < rows; r0 += fft_rows) {
      const std::size_t nr = std::min(fft_rows, rows - r0);
      k::columns_to_lines<cufftDoubleComplex>
          <<<tile_grid(setup.n_cols, n, nr), dim3(k::kTile, k::kTileRows), 0, s>>>(
              d + r0 * per_row(), n_angles, n_cols, lines.get(), n, static_cast<int>(n),
              static_cast<int>(setup.shift), n_ext, true);
      XCT_CUDA_LAUNCHED();
      // The whole batch is transformed; lines past nr hold an earlier chunk's and are not read.
      XCT_CUFFT_CHECK(cufftExecZ2Z(plan.get(), lines.get(), lines.get(), CUFFT_FORWARD));
      k::apply_gain<<<k::blocks_for(batch_lines * n), k::kThreads, 0, s>>>(
          lines.get(), batch_lines, static_cast<int>(n), gain.get());
      XCT_CUDA_LAUNCHED();
      XCT_CUFFT_CHECK(cufftExecZ2Z(plan.get(), lines.get(), lines.get(), CUFFT_INVERSE));
      k::extract_lines<<<k::blocks_for(nr * per_row()), k::kThreads, 0, s>>>(
          lines.get(), n, static_cast<int>(setup.shift), true, n_angles, nr * setup.n_cols,
          t0.get() + r0 * per_row());
      XCT_CUDA_LAUNCHED();
    }
    from_lines<k::kSub>(t0.get(), d, rows, s);  // the sinograms now hold sino - smooth
    if (setup.filter_sort) {
      sort_lines(rows, s);
      median(t0.get(), t1.get(), rows, setup.size, setup.dim, s);
      unsort(t1.get(), t0.get(), rows, nullptr, s);
      from_lines<k::kAdd>(t0.get(), d, rows, s);
    } else {
      median(t0.get(), t1.get(), rows, setup.size, setup.dim, s);
      from_lines<k::kAdd>(t1.get(), d, rows, s);
    }
  }

  // remove_large_stripe (snr and detection on the host): the sorted lines and their median,
  // the trimmed means, the detector per row, then normalisation and the flagged columns
  // replaced. Returns the flagged columns; their masks go to masks[row].large when `report`.
  std::size_t large_step(float* d, std::size_t rows, cudaStream_t s,
                         std::vector<StripeMasks>* masks, bool report) {
    const std::size_t lines = rows * setup.n_cols, cols = setup.n_cols;
    to_lines(d, rows, s);
    sort_lines(rows, s);
    median(t0.get(), t1.get(), rows, setup.large_size, 1, s);
    const int first = static_cast<int>(setup.large_drop);
    k::line_means<<<k::blocks_for(lines), k::kThreads, 0, s>>>(
        t0.get(), t1.get(), n_angles, lines, first, n_angles - first, l1.get(), l2.get());
    XCT_CUDA_LAUNCHED();
    h_l1.resize(lines);
    h_l2.resize(lines);
    XCT_CUDA_CHECK(
        cudaMemcpyAsync(h_l1.data(), l1.get(), lines * sizeof(double), cudaMemcpyDeviceToHost, s));
    XCT_CUDA_CHECK(
        cudaMemcpyAsync(h_l2.data(), l2.get(), lines * sizeof(double), cudaMemcpyDeviceToHost, s));
    check_finite(s);  // synchronises: the means are here
    h_divisor.assign(lines, 1.0);
    h_mask.assign(lines, 0);
    std::size_t flagged = 0;
    for (std::size_t r = 0; r < rows; ++r) {
      const std::vector<double> a(h_l1.begin() + r * cols, h_l1.begin() + (r + 1) * cols);
      const std::vector<double> b(h_l2.begin() + r * cols, h_l2.begin() + (r + 1) * cols);
      LargeDetection det = setup.detect_large(a, b);
      XCT_CHECK(det.ratio.size() == cols && det.mask.size() == cols, ErrorKind::Internal,
                "the large-stripe detector returned ", det.ratio.size(), " ratios and ",
                det.mask.size(), " flags for ", cols, " columns");
      for (std::size_t c = 0; c < cols; ++c) {
        // A zero ratio (a column of zeros) would give Inf: such a column is left unscaled.
        h_divisor[r * cols + c] = det.ratio[c] != 0.0 ? det.ratio[c] : 1.0;
        h_mask[r * cols + c] = det.mask[c] != 0 ? 1 : 0;
        flagged += det.mask[c] != 0 ? 1 : 0;
      }
      if (report && masks != nullptr) (*masks)[r].large = std::move(det.mask);
    }
    if (flagged == 0 && !setup.large_norm) return 0;
    XCT_CUDA_CHECK(cudaMemcpyAsync(mask.get(), h_mask.data(), lines, cudaMemcpyHostToDevice, s));
    if (setup.large_norm)
      XCT_CUDA_CHECK(cudaMemcpyAsync(divisor.get(), h_divisor.data(), lines * sizeof(double),
                                     cudaMemcpyHostToDevice, s));
    if (flagged > 0) unsort(t1.get(), t0.get(), rows, mask.get(), s);
    from_lines<k::kLarge>(t0.get(), d, rows, s, mask.get(),
                          setup.large_norm ? divisor.get() : nullptr);
    return flagged;
  }

  // remove_dead_stripe without its residual step: the deviation sums, the detector per row,
  // the fills of the rows with fewer than a third of their columns flagged. Returns the
  // flagged columns; their masks go to masks[row].dead.
  std::size_t dead_step(float* d, std::size_t rows, cudaStream_t s,
                        std::vector<StripeMasks>* masks) {
    const std::size_t lines = rows * setup.n_cols, cols = setup.n_cols;
    k::column_deviations<<<k::blocks_for(lines), k::kThreads, 0, s>>>(
        d, n_angles, n_cols, rows, static_cast<int>(setup.smooth_strength), deviation.get());
    XCT_CUDA_LAUNCHED();
    h_deviation.resize(lines);
    XCT_CUDA_CHECK(cudaMemcpyAsync(h_deviation.data(), deviation.get(), lines * sizeof(float),
                                   cudaMemcpyDeviceToHost, s));
    check_finite(s);
    h_fills.clear();
    std::size_t flagged = 0;
    for (std::size_t r = 0; r < rows; ++r) {
      const std::vector<float> dev(h_deviation.begin() + r * cols,
                                   h_deviation.begin() + (r + 1) * cols);
      std::vector<std::uint8_t> m = setup.detect_dead(dev);
      XCT_CHECK(m.size() == cols, ErrorKind::Internal, "the dead-stripe detector returned ",
                m.size(), " flags for ", cols, " columns");
      const auto n = static_cast<std::size_t>(
          std::count_if(m.begin(), m.end(), [](std::uint8_t v) { return v != 0; }));
      flagged += n;
      // Algotom leaves the sinogram alone when a third or more of the columns are flagged.
      if (n > 0 && n < cols / 3) {
        const auto f = sm::column_fills(m, static_cast<std::uint32_t>(r));
        h_fills.insert(h_fills.end(), f.begin(), f.end());
      }
      if (masks != nullptr) (*masks)[r].dead = std::move(m);
    }
    if (!h_fills.empty()) {
      XCT_CUDA_CHECK(cudaMemcpyAsync(fills.get(), h_fills.data(),
                                     h_fills.size() * sizeof(sm::ColumnFill),
                                     cudaMemcpyHostToDevice, s));
      k::fill_columns<<<k::blocks_for(h_fills.size() * setup.n_angles), k::kThreads, 0, s>>>(
          d, n_angles, n_cols, fills.get(), h_fills.size());
      XCT_CUDA_LAUNCHED();
    }
    return flagged;
  }
};

StripeRemover::StripeRemover(StripeSetup setup, std::size_t max_rows, int device) {
  check_setup(setup, max_rows);
  detail::select_device(device);
  std::size_t free_b = 0, total_b = 0;
  XCT_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  const std::size_t need = device_bytes(setup, max_rows);
  XCT_CHECK(need <= free_b, ErrorKind::DeviceUnavailable, "the device ring removal needs ",
            need >> 20, " MiB of GPU memory for ", max_rows, " rows but ", free_b >> 20,
            " MiB are free");

  impl_ = std::make_unique<Impl>(std::move(setup), max_rows, device);
  Impl& m = *impl_;
  const StripeSetup& s = m.setup;
  const std::size_t lines = max_rows * s.n_cols, count_all = lines * s.n_angles;
  m.first_bad = DeviceBuffer<unsigned long long>(1);
  if (uses_lines(s)) {
    m.t0 = DeviceBuffer<float>(count_all);
    m.t1 = DeviceBuffer<float>(count_all);
    m.source = DeviceBuffer<std::uint32_t>(count_all);
    if (s.n_angles > static_cast<std::size_t>(kMaxBlockSort)) {
      m.index = DeviceBuffer<std::uint32_t>(count_all);
      m.offsets = DeviceBuffer<long long>(lines + 1);
      std::size_t temp_bytes = 0;
      XCT_CUDA_CHECK(cub::DeviceSegmentedSort::StableSortPairs(
          nullptr, temp_bytes, static_cast<const std::uint32_t*>(nullptr),
          static_cast<std::uint32_t*>(nullptr), static_cast<const std::uint32_t*>(nullptr),
          static_cast<std::uint32_t*>(nullptr), static_cast<long long>(count_all),
          static_cast<long long>(lines), static_cast<const long long*>(nullptr),
          static_cast<const long long*>(nullptr), m.stream.get()));
      m.sort_temp = DeviceBuffer<unsigned char>(std::max<std::size_t>(temp_bytes, 1));
    }
  }
  if (s.method == StripeMethod::Filter) {
    m.fft_rows = std::min(max_rows, kFftRows);
    m.lines = DeviceBuffer<cufftDoubleComplex>(m.fft_rows * s.n_cols * s.n_fft);
    XCT_CUDA_CHECK(cudaMemset(m.lines.get(), 0, m.lines.bytes()));
    m.gain = DeviceBuffer<double>(s.gain.size());
    XCT_CUDA_CHECK(cudaMemcpy(m.gain.get(), s.gain.data(), s.gain.size() * sizeof(double),
                              cudaMemcpyHostToDevice));
    m.plan = LinePlan::make(static_cast<int>(s.n_fft), static_cast<int>(m.fft_rows * s.n_cols));
  }
  if (uses_large(s)) {
    m.l1 = DeviceBuffer<double>(lines);
    m.l2 = DeviceBuffer<double>(lines);
    m.divisor = DeviceBuffer<double>(lines);
    m.mask = DeviceBuffer<std::uint8_t>(lines);
  }
  if (uses_dead(s)) {
    m.deviation = DeviceBuffer<float>(lines);
    m.fills = DeviceBuffer<sm::ColumnFill>(lines);
  }
}

StripeRemover::~StripeRemover() = default;
StripeRemover::StripeRemover(StripeRemover&&) noexcept = default;
StripeRemover& StripeRemover::operator=(StripeRemover&&) noexcept = default;

const StripeSetup& StripeRemover::setup() const {
  return impl_->setup;
}
std::size_t StripeRemover::max_rows() const {
  return impl_->max_rows;
}
double StripeRemover::last_seconds() const {
  return impl_->seconds;
}

std::size_t StripeRemover::device_bytes(const StripeSetup& s, std::size_t max_rows) {
  const std::size_t lines = max_rows * s.n_cols, count = lines * s.n_angles;
  std::size_t bytes = sizeof(unsigned long long);
  if (uses_lines(s)) {
    bytes += count * (2 * sizeof(float) + sizeof(std::uint32_t));  // t0, t1, source
    if (s.n_angles > static_cast<std::size_t>(kMaxBlockSort))
      bytes += count * sizeof(std::uint32_t) + (lines + 1) * sizeof(long long) +
               count * 2 * sizeof(std::uint32_t);  // index, offsets, cub's storage (estimate)
  }
  if (s.method == StripeMethod::Filter) {
    const std::size_t batch = std::min(max_rows, kFftRows) * s.n_cols;
    bytes += batch * s.n_fft * sizeof(cufftDoubleComplex) + s.gain.size() * sizeof(double);
    bytes += fft_work_estimate(s.n_fft, batch);
  }
  if (uses_large(s)) bytes += lines * (3 * sizeof(double) + 1);
  if (uses_dead(s)) bytes += lines * (sizeof(float) + sizeof(sm::ColumnFill));
  return bytes + (64u << 20);  // the context's own allocations and alignment slack
}

std::size_t StripeRemover::run(float* d_sinos, std::size_t rows, void* stream,
                               std::vector<StripeMasks>* masks) {
  Impl& m = *impl_;
  const StripeSetup& s = m.setup;
  XCT_CHECK(rows <= m.max_rows, ErrorKind::Usage, "the device ring removal was made for ",
            m.max_rows, " rows, not ", rows);
  if (masks != nullptr) masks->assign(rows, StripeMasks{});
  m.seconds = 0;
  if (rows == 0) return 0;
  m.use_device();
  auto st = static_cast<cudaStream_t>(stream);
  XCT_CUDA_CHECK(cudaEventRecord(m.e_start.get(), st));
  const unsigned long long none = ~0ull;
  XCT_CUDA_CHECK(cudaMemsetAsync(m.first_bad.get(), 0xff, sizeof(none), st));
  k::find_nonfinite<<<k::blocks_for(rows * m.per_row()), k::kThreads, 0, st>>>(
      d_sinos, rows * m.per_row(), m.first_bad.get());
  XCT_CUDA_LAUNCHED();
  std::size_t flagged = 0;
  switch (s.method) {
    case StripeMethod::Sort:
      m.sort_step(d_sinos, rows, s.size, s.dim, st);
      break;
    case StripeMethod::Filter:
      m.filter_step(d_sinos, rows, st);
      break;
    case StripeMethod::Large:
      flagged = m.large_step(d_sinos, rows, st, masks, true);
      break;
    case StripeMethod::Dead:
      flagged = m.dead_step(d_sinos, rows, st, masks);
      if (s.dead_residual) m.large_step(d_sinos, rows, st, masks, false);
      break;
    case StripeMethod::All:
      flagged = m.dead_step(d_sinos, rows, st, masks);
      flagged += m.large_step(d_sinos, rows, st, masks, true);
      m.sort_step(d_sinos, rows, s.size, s.dim, st);
      break;
  }
  XCT_CUDA_CHECK(cudaEventRecord(m.e_end.get(), st));
  m.check_finite(st);
  XCT_CUDA_CHECK(cudaEventSynchronize(m.e_end.get()));
  m.seconds = m.e_end.seconds_since(m.e_start);
  return flagged;
}

std::size_t StripeRemover::run_host(HostView<const float, 3> in, HostView<float, 3> out,
                                    std::vector<StripeMasks>* masks) {
  Impl& m = *impl_;
  const StripeSetup& s = m.setup;
  const std::size_t rows = in.extent(0), per_row = m.per_row();
  XCT_CHECK(in.extent(1) == s.n_angles && in.extent(2) == s.n_cols && in.is_contiguous() &&
                out.shape() == in.shape() && out.is_contiguous(),
            ErrorKind::Usage, "the sinograms must be contiguous [rows, ", s.n_angles, ", ",
            s.n_cols, "], got [", in.extent(0), ", ", in.extent(1), ", ", in.extent(2), "]");
  m.use_device();
  if (m.host_sinos.size() == 0)
    m.host_sinos = DeviceBuffer<float>(std::min(rows, m.max_rows) * per_row);
  if (masks != nullptr) masks->clear();
  std::size_t flagged = 0;
  double seconds = 0;
  std::vector<StripeMasks> batch_masks;
  for (std::size_t begin = 0; begin < rows; begin += m.max_rows) {
    const std::size_t n = std::min(rows - begin, m.max_rows);
    if (m.host_sinos.size() < n * per_row) m.host_sinos = DeviceBuffer<float>(n * per_row);
    XCT_CUDA_CHECK(cudaMemcpyAsync(m.host_sinos.get(), in.data() + begin * per_row,
                                   n * per_row * sizeof(float), cudaMemcpyHostToDevice,
                                   m.stream.get()));
    flagged += run(m.host_sinos.get(), n, m.stream.get(), masks ? &batch_masks : nullptr);
    seconds += m.seconds;
    XCT_CUDA_CHECK(cudaMemcpyAsync(out.data() + begin * per_row, m.host_sinos.get(),
                                   n * per_row * sizeof(float), cudaMemcpyDeviceToHost,
                                   m.stream.get()));
    m.stream.synchronize();
    if (masks != nullptr) masks->insert(masks->end(), batch_masks.begin(), batch_masks.end());
  }
  m.seconds = seconds;
  return flagged;
}

}  // namespace xct::cuda
