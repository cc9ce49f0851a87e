// Without CUDA a transfer buffer is ordinary host memory.
#include <cstdlib>

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

}  // namespace xct::cuda
