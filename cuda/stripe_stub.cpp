// The CUDA path is not compiled into this build: a ring remover can never be made.
#include "core/error.hpp"
#include "cuda/stripe.hpp"

namespace xct::cuda {

struct StripeRemover::Impl {};

StripeRemover::StripeRemover(StripeSetup, std::size_t, int) {
  XCT_THROW(ErrorKind::DeviceUnavailable, "xct was built without CUDA");
}
StripeRemover::~StripeRemover() = default;
StripeRemover::StripeRemover(StripeRemover&&) noexcept = default;
StripeRemover& StripeRemover::operator=(StripeRemover&&) noexcept = default;

// No remover exists, so none of these is ever reached through one.
const StripeSetup& StripeRemover::setup() const {
  XCT_THROW(ErrorKind::Internal, "xct was built without CUDA");
}
std::size_t StripeRemover::max_rows() const {
  return 0;
}
double StripeRemover::last_seconds() const {
  return 0;
}
std::size_t StripeRemover::device_bytes(const StripeSetup&, std::size_t) {
  return 0;
}
std::size_t StripeRemover::run(float*, std::size_t, void*, std::vector<StripeMasks>*) {
  XCT_THROW(ErrorKind::DeviceUnavailable, "xct was built without CUDA");
}
std::size_t StripeRemover::run_host(HostView<const float, 3>, HostView<float, 3>,
                                    std::vector<StripeMasks>*) {
  XCT_THROW(ErrorKind::DeviceUnavailable, "xct was built without CUDA");
}

}  // namespace xct::cuda
