#include "cuda/device.hpp"

#include <gtest/gtest.h>

namespace xct::cuda {
namespace {

// Without a usable GPU (CI, or a build without CUDA) discovery must answer, not fail, and say
// why nothing is there; with one, every device reports a name and memory.
TEST(CudaDevice, DiscoveryAnswersWithOrWithoutAGpu) {
  const auto devices = visible_devices();
  if (devices.empty()) {
    EXPECT_FALSE(unavailable_reason().empty());
  } else {
    EXPECT_TRUE(compiled_in());
    EXPECT_TRUE(unavailable_reason().empty());
    for (const auto& d : devices) {
      EXPECT_FALSE(d.name.empty());
      EXPECT_GT(d.total_memory_bytes, 0u);
    }
  }
  if (!compiled_in()) {
    EXPECT_TRUE(devices.empty());
    EXPECT_EQ(unavailable_reason(), "xct was built without CUDA");
  }
}

}  // namespace
}  // namespace xct::cuda
