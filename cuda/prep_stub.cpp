// The CUDA path is not compiled into this build: no preprocessing step runs on a device.
#include "core/error.hpp"
#include "cuda/prep.hpp"

namespace xct::cuda {

void flat_field_counts(const std::uint16_t*, const float*, const float*, std::size_t, std::size_t,
                       std::size_t, NonPositive, float*, unsigned long long*, void*) {
  XCT_THROW(ErrorKind::DeviceUnavailable, "xct was built without CUDA");
}

void minus_log(float*, std::size_t, unsigned long long*, void*) {
  XCT_THROW(ErrorKind::DeviceUnavailable, "xct was built without CUDA");
}

struct ZingerRemover::Impl {};

ZingerRemover::ZingerRemover(const ZingerSetup&, std::size_t, std::size_t, std::size_t, int) {
  XCT_THROW(ErrorKind::DeviceUnavailable, "xct was built without CUDA");
}
ZingerRemover::~ZingerRemover() = default;
ZingerRemover::ZingerRemover(ZingerRemover&&) noexcept = default;
ZingerRemover& ZingerRemover::operator=(ZingerRemover&&) noexcept = default;

// No remover exists, so none of these is ever reached through one.
const ZingerSetup& ZingerRemover::setup() const {
  XCT_THROW(ErrorKind::Internal, "xct was built without CUDA");
}
std::size_t ZingerRemover::max_rows() const {
  return 0;
}
std::size_t ZingerRemover::device_bytes(std::size_t, std::size_t, std::size_t) {
  return 0;
}
void ZingerRemover::run(float*, std::size_t, unsigned long long*, void*) {
  XCT_THROW(ErrorKind::DeviceUnavailable, "xct was built without CUDA");
}

std::uint64_t flat_field_counts(HostView<const std::uint16_t, 3>, HostView<const float, 2>,
                                HostView<const float, 2>, NonPositive, HostView<float, 3>, int) {
  XCT_THROW(ErrorKind::DeviceUnavailable, "xct was built without CUDA");
}

std::uint64_t minus_log(HostView<float, 1>, int) {
  XCT_THROW(ErrorKind::DeviceUnavailable, "xct was built without CUDA");
}

std::uint64_t remove_zinger(const ZingerSetup&, HostView<float, 3>, int, std::size_t) {
  XCT_THROW(ErrorKind::DeviceUnavailable, "xct was built without CUDA");
}

}  // namespace xct::cuda
