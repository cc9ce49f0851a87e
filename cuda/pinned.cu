#include <cstdlib>

#include "cuda/cuda_util.cuh"
#include "cuda/pinned.hpp"

namespace xct::cuda {

PinnedBuffer::PinnedBuffer(std::size_t bytes) : bytes_(bytes) {
  if (bytes == 0) return;
  // Portable: usable with every device, for the workers of several GPUs.
  if (cudaHostAlloc(&p_, bytes, cudaHostAllocPortable) == cudaSuccess) {
    pinned_ = true;
    return;
  }
  cudaGetLastError();  // no driver or too much pinned already: ordinary memory does
  p_ = std::malloc(bytes);
  XCT_CHECK(p_ != nullptr, ErrorKind::Internal, "out of host memory for a ", bytes >> 20,
            " MiB transfer buffer");
}

void PinnedBuffer::release() noexcept {
  if (!p_) return;
  if (pinned_)
    cudaFreeHost(p_);
  else
    std::free(p_);
  p_ = nullptr;
}

}  // namespace xct::cuda
