// xct_step: runs one xct processing step on .npy inputs and writes .npy outputs, so that the
// pytest suite in tests/reference can run Algotom and xct on the same arrays, and bench/ can
// time both in one run.
//
//   xct_step STEP OUT_PREFIX IN0.npy [IN1.npy ...] [key=value ...]
//
// Writes OUT_PREFIX_0.npy, OUT_PREFIX_1.npy, ... for the array outputs and OUT_PREFIX.json for
// scalar results and the timing. `repeat=N` runs the step N times and records the fastest
// wall time in seconds as "seconds" (inputs are read once, outside the timing).
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/array.hpp"

namespace xct::step {

// A float32, C-order array as read from or written to .npy.
struct Array {
  std::vector<std::size_t> shape;
  std::vector<float> data;
  std::size_t dim(std::size_t axis) const { return shape.at(axis); }
};

Array read_npy(const std::string& path);
// A 2-D array as an image [rows, cols]; a usage error for any other rank.
HostView<const float, 2> image(const Array& a);  // float32, float64 (converted), uint16 (converted)
void write_npy(const std::string& path, const Array& a);

// key=value parameters; each getter throws a usage error on a missing key without default.
class Params {
 public:
  explicit Params(std::map<std::string, std::string> kv) : kv_(std::move(kv)) {}
  double num(const std::string& key) const;
  double num(const std::string& key, double fallback) const;
  long integer(const std::string& key, long fallback) const;
  bool flag(const std::string& key, bool fallback) const;  // 0/1/true/false
  std::string str(const std::string& key, const std::string& fallback) const;
  bool has(const std::string& key) const { return kv_.count(key) != 0; }

 private:
  std::map<std::string, std::string> kv_;
};

// A step reads its inputs, fills `outputs` and may put scalar results into `info`. It is
// called `repeat` times on the same inputs; only the last call's outputs are written.
using StepFn = std::function<void(const std::vector<Array>& inputs, const Params& params,
                                  std::vector<Array>& outputs, nlohmann::json& info)>;
using Registry = std::map<std::string, StepFn>;

// Each group of steps registers itself from its own file.
void add_preprocess_steps(Registry& registry);  // flat-field, -log, zingers
void add_stripe_steps(Registry& registry);      // ring removal
void add_center_steps(Registry& registry);      // centre of rotation and FBP

}  // namespace xct::step
