// Checked CUDA and cuFFT calls and RAII owners of device memory, streams, events and cuFFT
// plans. Only the .cu files of cuda/ include this.
#pragma once

#include <cuda_runtime.h>
#include <cufft.h>

#include <cstddef>
#include <utility>

#include "core/array.hpp"
#include "core/error.hpp"

namespace xct::cuda::detail {

// Throws the project's error for a failed CUDA call: a missing or unusable device or too
// little device memory is DeviceUnavailable (exit 69), anything else Internal (exit 70).
[[noreturn]] void throw_cuda(cudaError_t err, const char* call, const char* file, int line);
[[noreturn]] void throw_cufft(cufftResult err, const char* call, const char* file, int line);

// Makes `device` current for the calling thread; DeviceUnavailable when no device can be used
// or `device` is not among the visible ones.
void select_device(int device);

}  // namespace xct::cuda::detail

#define XCT_CUDA_CHECK(call)                                                \
  do {                                                                      \
    const cudaError_t xct_err_ = (call);                                    \
    if (xct_err_ != cudaSuccess)                                            \
      ::xct::cuda::detail::throw_cuda(xct_err_, #call, __FILE__, __LINE__); \
  } while (0)

#define XCT_CUFFT_CHECK(call)                                                \
  do {                                                                       \
    const cufftResult xct_err_ = (call);                                     \
    if (xct_err_ != CUFFT_SUCCESS)                                           \
      ::xct::cuda::detail::throw_cufft(xct_err_, #call, __FILE__, __LINE__); \
  } while (0)

// A kernel launch: its configuration error, if any, is reported at once.
#define XCT_CUDA_LAUNCHED() XCT_CUDA_CHECK(cudaGetLastError())

namespace xct::cuda::detail {

// Device memory for n elements of T.
template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t n) : n_(n) {
    if (n > 0) XCT_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&p_), n * sizeof(T)));
  }
  ~DeviceBuffer() {
    if (p_) cudaFree(p_);
  }
  DeviceBuffer(DeviceBuffer&& o) noexcept : p_(std::exchange(o.p_, nullptr)), n_(o.n_) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      if (p_) cudaFree(p_);
      p_ = std::exchange(o.p_, nullptr);
      n_ = o.n_;
    }
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  T* get() const { return p_; }
  std::size_t size() const { return n_; }
  std::size_t bytes() const { return n_ * sizeof(T); }

 private:
  T* p_ = nullptr;
  std::size_t n_ = 0;
};

class Stream {
 public:
  Stream() { XCT_CUDA_CHECK(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking)); }
  ~Stream() {
    if (s_) cudaStreamDestroy(s_);
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return s_; }
  void synchronize() const { XCT_CUDA_CHECK(cudaStreamSynchronize(s_)); }

 private:
  cudaStream_t s_ = nullptr;
};

class Event {
 public:
  Event() { XCT_CUDA_CHECK(cudaEventCreate(&e_)); }
  ~Event() {
    if (e_) cudaEventDestroy(e_);
  }
  Event(Event&& o) noexcept : e_(std::exchange(o.e_, nullptr)) {}
  Event& operator=(Event&& o) noexcept {
    if (this != &o) {
      if (e_) cudaEventDestroy(e_);
      e_ = std::exchange(o.e_, nullptr);
    }
    return *this;
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  cudaEvent_t get() const { return e_; }
  void record(const Stream& s) { XCT_CUDA_CHECK(cudaEventRecord(e_, s.get())); }
  // Seconds from `start` to this event; both recorded and complete.
  double seconds_since(const Event& start) const {
    float ms = 0;
    XCT_CUDA_CHECK(cudaEventElapsedTime(&ms, start.e_, e_));
    return 1e-3 * static_cast<double>(ms);
  }

 private:
  cudaEvent_t e_ = nullptr;
};

class FftPlan {
 public:
  FftPlan() = default;
  ~FftPlan() {
    if (valid_) cufftDestroy(h_);
  }
  FftPlan(FftPlan&& o) noexcept : h_(o.h_), valid_(std::exchange(o.valid_, false)) {}
  FftPlan& operator=(FftPlan&& o) noexcept {
    if (this != &o) {
      if (valid_) cufftDestroy(h_);
      h_ = o.h_;
      valid_ = std::exchange(o.valid_, false);
    }
    return *this;
  }
  FftPlan(const FftPlan&) = delete;
  FftPlan& operator=(const FftPlan&) = delete;

  // A batch of in-place 1-D transforms of `width` real samples; each real row takes
  // 2 (width / 2 + 1) floats. Forward: real to complex; backward: complex to real.
  static FftPlan in_place_rows(int width, int batch, bool forward, const Stream& stream) {
    FftPlan p;
    int n[1] = {width};
    const int half = width / 2 + 1;
    int real_embed[1] = {2 * half}, complex_embed[1] = {half};
    XCT_CUFFT_CHECK(cufftCreate(&p.h_));
    p.valid_ = true;
    XCT_CUFFT_CHECK(cufftSetStream(p.h_, stream.get()));
    std::size_t work = 0;
    if (forward) {
      XCT_CUFFT_CHECK(cufftMakePlanMany(p.h_, 1, n, real_embed, 1, 2 * half, complex_embed, 1, half,
                                        CUFFT_R2C, batch, &work));
    } else {
      XCT_CUFFT_CHECK(cufftMakePlanMany(p.h_, 1, n, complex_embed, 1, half, real_embed, 1, 2 * half,
                                        CUFFT_C2R, batch, &work));
    }
    return p;
  }
  cufftHandle get() const { return h_; }

 private:
  cufftHandle h_ = 0;
  bool valid_ = false;
};

}  // namespace xct::cuda::detail
