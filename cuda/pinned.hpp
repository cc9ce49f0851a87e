// Page-locked ("pinned") host memory, behind a plain C++ header. Copies between pinned memory
// and a CUDA device run asynchronously and at the full speed of the bus; pageable memory is
// staged through the driver's own buffers instead. Without CUDA (pinned_stub.cpp), or where
// the driver refuses to pin, the buffer is ordinary host memory and `pinned()` says so.
#pragma once

#include <cstddef>
#include <utility>

namespace xct::cuda {

class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  // Throws Internal (out of host memory) when no memory at all can be had.
  explicit PinnedBuffer(std::size_t bytes);
  ~PinnedBuffer() { release(); }
  PinnedBuffer(PinnedBuffer&& o) noexcept
      : p_(std::exchange(o.p_, nullptr)), bytes_(o.bytes_), pinned_(o.pinned_) {}
  PinnedBuffer& operator=(PinnedBuffer&& o) noexcept {
    if (this != &o) {
      release();
      p_ = std::exchange(o.p_, nullptr);
      bytes_ = o.bytes_;
      pinned_ = o.pinned_;
    }
    return *this;
  }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;

  void* data() const { return p_; }
  template <typename T>
  T* as() const {
    return static_cast<T*>(p_);
  }
  std::size_t bytes() const { return bytes_; }
  bool pinned() const { return pinned_; }

 private:
  void release() noexcept;
  void* p_ = nullptr;
  std::size_t bytes_ = 0;
  bool pinned_ = false;
};

}  // namespace xct::cuda
