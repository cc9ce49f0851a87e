#include "recon/fft.hpp"

#include <fftw3.h>

#include <map>
#include <mutex>
#include <tuple>

#include "core/error.hpp"

namespace xct::recon {

struct FftPlan::Impl {
  fftwf_plan plan = nullptr;  // single precision
  fftw_plan dplan = nullptr;  // double precision (R2cDouble, C2rDouble)
  ~Impl() {
    if (plan) fftwf_destroy_plan(plan);
    if (dplan) fftw_destroy_plan(dplan);
  }
};

namespace {

// FFTW's planner is not thread-safe; executing a finished plan is.
std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}

using Key = std::tuple<int, std::size_t, std::size_t>;  // kind and layout, two extents

std::map<Key, std::unique_ptr<FftPlan>>& cache() {
  static std::map<Key, std::unique_ptr<FftPlan>> c;
  return c;
}

enum Shape { OneD = 0, TwoD = 1, Columns = 2 };

int as_int(std::size_t n) {
  XCT_CHECK(n > 0 && n < (1u << 30), ErrorKind::Internal, "FFT length ", n, " out of range");
  return static_cast<int>(n);
}

// A double-precision batch of b real 1-D transforms of length a (R2cDouble or C2rDouble),
// planned on scratch buffers.
fftw_plan plan_double(FftPlan::Kind kind, std::size_t a, std::size_t b) {
  const int n_a = as_int(a), n_b = as_int(b), n_half = n_a / 2 + 1;
  const std::size_t total = b * static_cast<std::size_t>(n_half);
  auto* cin = static_cast<fftw_complex*>(fftw_malloc(sizeof(fftw_complex) * total));
  auto* cout = static_cast<fftw_complex*>(fftw_malloc(sizeof(fftw_complex) * total));
  XCT_CHECK(cin && cout, ErrorKind::Internal, "out of memory planning an FFT");
  fftw_plan p = nullptr;
  if (kind == FftPlan::Kind::R2cDouble)
    p = fftw_plan_many_dft_r2c(1, &n_a, n_b, reinterpret_cast<double*>(cin), nullptr, 1, n_a, cout,
                               nullptr, 1, n_half, FFTW_ESTIMATE);
  else
    p = fftw_plan_many_dft_c2r(1, &n_a, n_b, cin, nullptr, 1, n_half,
                               reinterpret_cast<double*>(cout), nullptr, 1, n_a, FFTW_ESTIMATE);
  fftw_free(cin);
  fftw_free(cout);
  return p;
}

// Plans are made on scratch buffers of the right size and alignment, never on the caller's.
const FftPlan& get(FftPlan::Kind kind, Shape shape, std::size_t a, std::size_t b) {
  std::lock_guard lock(planner_mutex());
  const Key key{static_cast<int>(kind) * 4 + shape, a, b};
  auto& c = cache();
  if (auto it = c.find(key); it != c.end()) return *it->second;

  if (kind == FftPlan::Kind::R2cDouble || kind == FftPlan::Kind::C2rDouble) {
    fftw_plan p = plan_double(kind, a, b);
    XCT_CHECK(p != nullptr, ErrorKind::Internal, "FFTW could not plan a transform of ", a, " x ",
              b);
    auto impl = std::make_shared<FftPlan::Impl>();
    impl->dplan = p;
    auto& slot = c[key];
    slot = std::make_unique<FftPlan>(kind, std::move(impl));
    return *slot;
  }

  const int n_a = as_int(a), n_b = as_int(b);
  const std::size_t total = a * b;
  // Generous scratch: complex buffers of the full size cover every layout below.
  auto* cin = static_cast<fftwf_complex*>(fftwf_malloc(sizeof(fftwf_complex) * (total + b + 2)));
  auto* cout = static_cast<fftwf_complex*>(fftwf_malloc(sizeof(fftwf_complex) * (total + b + 2)));
  XCT_CHECK(cin && cout, ErrorKind::Internal, "out of memory planning an FFT");
  auto* rin = reinterpret_cast<float*>(cin);
  auto* rout = reinterpret_cast<float*>(cout);
  const unsigned flags = FFTW_ESTIMATE;
  fftwf_plan p = nullptr;
  using K = FftPlan::Kind;
  const bool fwd = kind == K::C2cForward;
  const int sign = fwd ? FFTW_FORWARD : FFTW_BACKWARD;
  if (shape == TwoD) {
    if (kind == K::R2c)
      p = fftwf_plan_dft_r2c_2d(n_a, n_b, rin, cout, flags);
    else
      p = fftwf_plan_dft_2d(n_a, n_b, cin, cout, sign, flags);
  } else if (shape == Columns) {
    // a = transform length, b = number of columns.
    p = fftwf_plan_many_dft(1, &n_a, n_b, cin, nullptr, n_b, 1, cout, nullptr, n_b, 1, sign, flags);
  } else {
    // a = transform length, b = batch.
    const int n_half = n_a / 2 + 1;
    if (kind == K::R2c)
      p = fftwf_plan_many_dft_r2c(1, &n_a, n_b, rin, nullptr, 1, n_a, cout, nullptr, 1, n_half,
                                  flags);
    else if (kind == K::C2r)
      p = fftwf_plan_many_dft_c2r(1, &n_a, n_b, cin, nullptr, 1, n_half, rout, nullptr, 1, n_a,
                                  flags);
    else
      p = fftwf_plan_many_dft(1, &n_a, n_b, cin, nullptr, 1, n_a, cout, nullptr, 1, n_a, sign,
                              flags);
  }
  fftwf_free(cin);
  fftwf_free(cout);
  XCT_CHECK(p != nullptr, ErrorKind::Internal, "FFTW could not plan a transform of ", a, " x ", b);
  auto impl = std::make_shared<FftPlan::Impl>();
  impl->plan = p;
  auto& slot = c[key];
  slot = std::make_unique<FftPlan>(kind, std::move(impl));
  return *slot;
}

}  // namespace

const FftPlan& FftPlan::c2c_1d(std::size_t n, std::size_t howmany, bool forward) {
  return get(forward ? Kind::C2cForward : Kind::C2cBackward, OneD, n, howmany);
}
const FftPlan& FftPlan::r2c_1d(std::size_t n, std::size_t howmany) {
  return get(Kind::R2c, OneD, n, howmany);
}
const FftPlan& FftPlan::c2r_1d(std::size_t n, std::size_t howmany) {
  return get(Kind::C2r, OneD, n, howmany);
}
const FftPlan& FftPlan::r2c_1d_double(std::size_t n, std::size_t howmany) {
  return get(Kind::R2cDouble, OneD, n, howmany);
}
const FftPlan& FftPlan::c2r_1d_double(std::size_t n, std::size_t howmany) {
  return get(Kind::C2rDouble, OneD, n, howmany);
}
const FftPlan& FftPlan::c2c_2d(std::size_t n0, std::size_t n1, bool forward) {
  return get(forward ? Kind::C2cForward : Kind::C2cBackward, TwoD, n0, n1);
}
const FftPlan& FftPlan::r2c_2d(std::size_t n0, std::size_t n1) {
  return get(Kind::R2c, TwoD, n0, n1);
}
const FftPlan& FftPlan::c2c_columns(std::size_t n, std::size_t howmany, bool forward) {
  return get(forward ? Kind::C2cForward : Kind::C2cBackward, Columns, n, howmany);
}

namespace {
void check_buffers(const void* in, const void* out) {
  XCT_CHECK(in != out, ErrorKind::Internal, "FFT plans are out-of-place; got one buffer");
}
void check_aligned(const void* p) {
  XCT_CHECK(fftwf_alignment_of(static_cast<float*>(const_cast<void*>(p))) == 0, ErrorKind::Internal,
            "FFT buffer is not aligned for SIMD; allocate it with fft_alloc");
}
void check_aligned_double(const void* p) {
  XCT_CHECK(fftw_alignment_of(static_cast<double*>(const_cast<void*>(p))) == 0, ErrorKind::Internal,
            "FFT buffer is not aligned for SIMD; allocate it with fft_alloc");
}
}  // namespace

void FftPlan::execute(cfloat* in, cfloat* out) const {
  XCT_CHECK(kind_ == Kind::C2cForward || kind_ == Kind::C2cBackward, ErrorKind::Internal,
            "complex FFT executed with a real plan");
  check_buffers(in, out);
  check_aligned(in);
  check_aligned(out);
  fftwf_execute_dft(impl_->plan, reinterpret_cast<fftwf_complex*>(in),
                    reinterpret_cast<fftwf_complex*>(out));
}

void FftPlan::execute(float* in, cfloat* out) const {
  XCT_CHECK(kind_ == Kind::R2c, ErrorKind::Internal, "real-to-complex FFT with another plan");
  check_buffers(in, out);
  check_aligned(in);
  check_aligned(out);
  fftwf_execute_dft_r2c(impl_->plan, in, reinterpret_cast<fftwf_complex*>(out));
}

void FftPlan::execute(cfloat* in, float* out) const {
  XCT_CHECK(kind_ == Kind::C2r, ErrorKind::Internal, "complex-to-real FFT with another plan");
  check_buffers(in, out);
  check_aligned(in);
  check_aligned(out);
  fftwf_execute_dft_c2r(impl_->plan, reinterpret_cast<fftwf_complex*>(in), out);
}

void FftPlan::execute(double* in, cdouble* out) const {
  XCT_CHECK(kind_ == Kind::R2cDouble, ErrorKind::Internal,
            "double real-to-complex FFT with another plan");
  check_buffers(in, out);
  check_aligned_double(in);
  check_aligned_double(out);
  fftw_execute_dft_r2c(impl_->dplan, in, reinterpret_cast<fftw_complex*>(out));
}

void FftPlan::execute(cdouble* in, double* out) const {
  XCT_CHECK(kind_ == Kind::C2rDouble, ErrorKind::Internal,
            "double complex-to-real FFT with another plan");
  check_buffers(in, out);
  check_aligned_double(in);
  check_aligned_double(out);
  fftw_execute_dft_c2r(impl_->dplan, reinterpret_cast<fftw_complex*>(in), out);
}

void FftFree::operator()(void* p) const {
  fftwf_free(p);
}

void* fft_alloc_bytes(std::size_t bytes) {
  void* p = fftwf_malloc(bytes == 0 ? 1 : bytes);
  XCT_CHECK(p != nullptr, ErrorKind::Internal, "out of memory: ", bytes, " bytes for an FFT");
  return p;
}

std::size_t fft_friendly_length(std::size_t n) {
  for (std::size_t m = std::max<std::size_t>(n, 1);; ++m) {
    std::size_t r = m;
    for (std::size_t p : {2, 3, 5, 7})
      while (r % p == 0)
        r /= p;
    if (r == 1) return m;
  }
}

}  // namespace xct::recon
