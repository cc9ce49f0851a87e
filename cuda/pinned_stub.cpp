// Without CUDA a transfer buffer is ordinary host memory.
#include <cstdlib>
#include <utility>

#include "core/error.hpp"
#include "cuda/pinned.hpp"

namespace xct::cuda {

PinnedBuffer::PinnedBuffer(std::size_t bytes) : bytes_(bytes) {
  if (bytes == 0) return;
  p_ = std::malloc(bytes);
  XCT_CHECK(p_ != nullptr, ErrorKind::Internal, "out of host memory for a ", bytes >> 20,
            " MiB transfer buffer");
}

void PinnedBuffer::release() noexcept {
  std::free(p_);
  p_ = nullptr;
}

PinnedBuffer::~PinnedBuffer() {
  release();
}
PinnedBuffer::PinnedBuffer(PinnedBuffer&& o) noexcept
    : p_(std::exchange(o.p_, nullptr)), bytes_(o.bytes_), pinned_(o.pinned_) {}
PinnedBuffer& PinnedBuffer::operator=(PinnedBuffer&& o) noexcept {
  if (this != &o) {
    release();
    p_ = std::exchange(o.p_, nullptr);
    bytes_ = o.bytes_;
    pinned_ = o.pinned_;
  }
  return *this;
}

}  // namespace xct::cuda
