#include "recon/fbp_device.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "cuda/device.hpp"
#include "recon/flatfield.hpp"

namespace xct::recon {

std::vector<std::string> device_names() {
  return {"auto", "cpu", "cuda"};
}

DeviceChoice choose_device(std::string_view request) {
  XCT_CHECK(request == "auto" || request == "cpu" || request == "cuda", ErrorKind::Usage,
            "unknown device '", request, "' (auto, cpu, cuda)");
  DeviceChoice c;
  if (request == "cpu") {
    c.description = "cpu (requested)";
    return c;
  }
  const auto devices = cuda::visible_devices();
  if (devices.empty()) {
    const std::string why = cuda::unavailable_reason();
    XCT_CHECK(request != "cuda", ErrorKind::DeviceUnavailable, "--device cuda: ", why);
    c.description = "cpu (" + why + ")";
    return c;
  }
  const auto& d = devices.front();
  c.device = Device::Cuda;
  c.cuda_index = d.index;
  c.free_memory_bytes = d.free_memory_bytes;
  c.description = "cuda:" + std::to_string(d.index) + " " + d.name + " (" +
                  std::to_string(d.free_memory_bytes >> 20) + " MiB free)";
  return c;
}

void DeviceTiming::add(const DeviceTiming& o) {
  upload += o.upload;
  convert += o.convert;
  filter += o.filter;
  back_project += o.back_project;
  download += o.download;
}

namespace {

DeviceTiming to_timing(const cuda::FbpTiming& t) {
  return {t.upload, t.convert, t.filter, t.back_project, t.download};
}

}  // namespace

cuda::FbpSetup fbp_device_setup(std::span<const double> angles, std::size_t n_cols,
                                const FbpParams& params) {
  const std::size_t n = params.size > 0 ? params.size : n_cols;
  cuda::FbpSetup s;
  s.n_angles = angles.size();
  s.n_cols = n_cols;
  s.n = n;
  const FbpPadding pad = fbp_padding(n_cols, params);
  s.pad_left = pad.left;
  s.width = pad.width;
  s.zero_pad = params.padding == "zero";
  const std::vector<double> r = fbp_filter_response(pad.width, params);
  s.response.resize(pad.width / 2 + 1);
  for (std::size_t k = 0; k < s.response.size(); ++k)  // as the CPU's RowFilter
    s.response[k] = static_cast<float>(r[k] / static_cast<double>(pad.width));
  s.weight = fbp_angle_weights(angles);
  s.cos_a.resize(angles.size());
  s.sin_a.resize(angles.size());
  for (std::size_t a = 0; a < angles.size(); ++a) {
    s.cos_a[a] = std::cos(angles[a]);
    s.sin_a[a] = std::sin(angles[a]);
  }
  s.mask_ratio = params.mask_ratio;
  return s;
}

SlabBackProjector::SlabBackProjector(const DeviceChoice& device, std::span<const double> angles_rad,
                                     std::size_t n_cols, const FbpParams& params,
                                     std::size_t max_rows)
    : device_(device.device),
      angles_(angles_rad.begin(), angles_rad.end()),
      n_(params.size > 0 ? params.size : n_cols),
      params_(params) {
  params_.size = n_;
  // Validates the filter, the padding and the angles on every device alike.
  const cuda::FbpSetup setup = fbp_device_setup(angles_, n_cols, params_);
  if (device_ == Device::Cuda)
    cuda_.emplace(setup, std::max<std::size_t>(max_rows, 1), device.cuda_index);
}

std::uint64_t SlabBackProjector::device_bytes(std::size_t n_angles, std::size_t n_cols,
                                              const FbpParams& params, std::size_t max_rows) {
  cuda::FbpSetup s;
  s.n_angles = n_angles;
  s.n_cols = n_cols;
  s.n = params.size > 0 ? params.size : n_cols;
  s.width = fbp_padding(n_cols, params).width;
  return cuda::FbpEngine::device_bytes(s, max_rows);
}

std::vector<double> SlabBackProjector::centres_for(std::span<const double> centres,
                                                   std::size_t rows) const {
  XCT_CHECK(centres.size() == 1 || centres.size() == rows, ErrorKind::Usage, "got ", centres.size(),
            " centres for ", rows, " rows (1 or one per row)");
  if (centres.size() == rows) return {centres.begin(), centres.end()};
  return std::vector<double>(rows, centres[0]);
}

void SlabBackProjector::reconstruct(HostView<const float, 3> sinograms,
                                    std::span<const double> centres, HostView<float, 3> slices) {
  if (device_ == Device::Cpu) {
    fbp_reconstruct_slab(sinograms, angles_, centres, params_, slices);
    return;
  }
  cuda_->reconstruct(sinograms, centres_for(centres, sinograms.extent(0)), slices);
  timing_.add(to_timing(cuda_->last_timing()));
}

void SlabBackProjector::reconstruct_counts(HostView<const std::uint16_t, 3> counts,
                                           HostView<const float, 2> dark,
                                           HostView<const float, 2> denom,
                                           std::span<const double> centres,
                                           HostView<float, 3> slices, CountsFixed& fixed) {
  const std::size_t rows = counts.extent(0), n_a = counts.extent(1), n_c = counts.extent(2);
  XCT_CHECK(dark.extent(0) == rows && dark.extent(1) == n_c && denom.extent(0) == rows &&
                denom.extent(1) == n_c,
            ErrorKind::Usage, "the dark and the flat - dark must be [rows, cols]");
  if (device_ == Device::Cuda) {
    cuda::CountsReport report;
    cuda_->reconstruct_counts(counts, dark, denom, cuda::NonPositive::HalfCount,
                              centres_for(centres, rows), slices, report);
    fixed.nonpositive_samples += report.nonpositive_samples;
    fixed.log_clamped_samples += report.log_clamped_samples;
    timing_.add(to_timing(cuda_->last_timing()));
    return;
  }
  // The CPU reference: flat_field and minus_log row by row, as read_sinograms does.
  HostArray<float, 3> sinos({rows, n_a, n_c});
  FlatFieldParams fp;
  FlatFieldCounts fc;
  for (std::size_t r = 0; r < rows; ++r) {
    FlatReference ref;
    ref.dark = HostArray<float, 2>({1, n_c});
    ref.denom_before = HostArray<float, 2>({1, n_c});
    for (std::size_t j = 0; j < n_c; ++j) {
      ref.dark(0, j) = dark(r, j);
      ref.denom_before(0, j) = denom(r, j);
    }
    float* row = sinos.data() + r * n_a * n_c;
    const std::uint16_t* raw = &counts(r, 0, 0);
    for (std::size_t i = 0; i < n_a * n_c; ++i)
      row[i] = static_cast<float>(raw[i]);
    const Stack frames(row, {n_a, 1, n_c});
    flat_field(frames, ref, {}, frames, fp, fc);
    minus_log(std::span<float>(row, n_a * n_c), fc);
  }
  fixed.nonpositive_samples += fc.nonpositive_samples;
  fixed.log_clamped_samples += fc.log_clamped_samples;
  fbp_reconstruct_slab(sinos.cview(), angles_, centres, params_, slices);
}

void SlabBackProjector::filter(HostView<const float, 3> sinograms, HostView<float, 3> filtered) {
  if (device_ == Device::Cuda) {
    cuda_->filter(sinograms, filtered);
    timing_.add(to_timing(cuda_->last_timing()));
    return;
  }
  for (std::size_t r = 0; r < sinograms.extent(0); ++r)
    fbp_filter(sinograms[r], filtered[r], params_);
}

void SlabBackProjector::back_project(HostView<const float, 3> filtered,
                                     std::span<const double> centres, HostView<float, 3> slices) {
  const std::size_t rows = filtered.extent(0);
  const std::vector<double> c = centres_for(centres, rows);
  if (device_ == Device::Cuda) {
    cuda_->back_project(filtered, c, slices);
    timing_.add(to_timing(cuda_->last_timing()));
    return;
  }
  for (std::size_t r = 0; r < rows; ++r)
    fbp_back_project(filtered[r], angles_, c[r], slices[r], params_);
}

}  // namespace xct::recon
