// The choice between the CPU and the CUDA back-projector, made once per run, and the one
// place in recon/ that switches on it (docs/gpu.md).
//
//   auto  CUDA when it is compiled in and a device is visible, else the CPU; the choice and
//         its reason are logged;
//   cpu   the CPU path; CUDA is never touched;
//   cuda  the first visible CUDA device; without one, DeviceUnavailable (exit 69).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/array.hpp"
#include "cuda/fbp.hpp"
#include "recon/fbp.hpp"

namespace xct::recon {

enum class Device { Cpu, Cuda };

struct DeviceChoice {
  Device device = Device::Cpu;
  int cuda_index = 0;
  std::uint64_t free_memory_bytes = 0;  // on the CUDA device, when chosen
  std::string description;  // "cpu (no CUDA device is visible)", "cuda:0 NVIDIA H100 ..."
};

// The accepted --device values, for help texts.
std::vector<std::string> device_names();

// Resolves "auto", "cpu" or "cuda"; Usage for anything else, DeviceUnavailable for an explicit
// "cuda" without a usable device.
DeviceChoice choose_device(std::string_view request);

// What the device engine is handed for a geometry: the padding and filter response of
// fbp_padding and fbp_filter_response (with the inverse transform's 1 / width), cos, sin and
// fbp_angle_weights per angle, the slice size (params.size, default n_cols) and the mask.
cuda::FbpSetup fbp_device_setup(std::span<const double> angles_rad, std::size_t n_cols,
                                const FbpParams& params);

// Stage times of the device path (zero on the CPU).
struct DeviceTiming {
  double upload = 0, convert = 0, filter = 0, back_project = 0, download = 0;
  void add(const DeviceTiming& o);
};

// What a -log conversion from counts fixed (as FlatFieldCounts).
struct CountsFixed {
  std::uint64_t nonpositive_samples = 0, log_clamped_samples = 0;
};

// Filtered back-projection of slabs of sinograms of one geometry on the chosen device: the
// CPU path is fbp_reconstruct_slab; the CUDA path gives the same slices to float rounding.
// Slabs of any height are accepted (the device works through them in batches of max_rows).
class SlabBackProjector {
 public:
  SlabBackProjector(const DeviceChoice& device, std::span<const double> angles_rad,
                    std::size_t n_cols, const FbpParams& params, std::size_t max_rows);

  Device device() const { return device_; }
  std::size_t slice_size() const { return n_; }

  // -log sinograms [rows, angles, cols] into slices [rows, n, n]; centres: 1 or one per row.
  void reconstruct(HostView<const float, 3> sinograms, std::span<const double> centres,
                   HostView<float, 3> slices);

  // From raw uint16 counts [rows, angles, cols] with the dark and flat - dark [rows, cols]:
  // flat-field ((raw - dark) / denom, half a count where raw <= dark) and -log, then FBP. On
  // CUDA the counts cross to the device as uint16 and are converted there.
  void reconstruct_counts(HostView<const std::uint16_t, 3> counts, HostView<const float, 2> dark,
                          HostView<const float, 2> denom, std::span<const double> centres,
                          HostView<float, 3> slices, CountsFixed& fixed);

  // The two halves alone, for checking one device against the other: the ramp filter (no
  // angle weights) and the weighted back-projection of already filtered sinograms.
  void filter(HostView<const float, 3> sinograms, HostView<float, 3> filtered);
  void back_project(HostView<const float, 3> filtered, std::span<const double> centres,
                    HostView<float, 3> slices);

  // Device stage times summed over every call so far.
  const DeviceTiming& timing() const { return timing_; }

  // Device memory an instance with max_rows needs (0 on the CPU).
  static std::uint64_t device_bytes(std::size_t n_angles, std::size_t n_cols,
                                    const FbpParams& params, std::size_t max_rows);

 private:
  Device device_;
  std::vector<double> angles_;
  std::size_t n_ = 0;
  FbpParams params_;
  DeviceTiming timing_;
  std::optional<cuda::FbpEngine> cuda_;  // the device engine, on CUDA
  // One centre per row from 1 or `rows` of them; their range is checked by the back-projector.
  std::vector<double> centres_for(std::span<const double> centres, std::size_t rows) const;
};

}  // namespace xct::recon
