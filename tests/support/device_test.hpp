// What the device tests (tests/*/*_device_test.cpp) share. Each such file is built twice,
// with XCT_TEST_DEVICE_CUDA=0 (NAME_cpu) and =1 (NAME_cuda, ctest label `gpu`); tests
// parameterised by the device are instantiated for the build's device with
// XCT_INSTANTIATE_DEVICE_SUITE.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <ostream>
#include <string>

#include "recon/fbp_device.hpp"

#ifndef XCT_TEST_DEVICE_CUDA
#error "build with XCT_TEST_DEVICE_CUDA=0 (cpu) or 1 (cuda)"
#endif

namespace xct::recon {

// How GoogleTest prints the parameter (found by argument-dependent lookup).
inline void PrintTo(Device d, std::ostream* os) {
  *os << (d == Device::Cuda ? "cuda" : "cpu");
}

}  // namespace xct::recon

namespace xct::test {

// The relative L2 difference of a against b over n samples: |a - b| / |b|.
inline double relative_l2(const float* a, const float* b, std::size_t n) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(a[i]) - b[i];
    num += d * d;
    den += static_cast<double>(b[i]) * b[i];
  }
  return std::sqrt(num / den);
}

// The test-name suffix of a device parameter.
inline std::string device_param_name(const ::testing::TestParamInfo<recon::Device>& info) {
  return info.param == recon::Device::Cuda ? "cuda" : "cpu";
}

}  // namespace xct::test

// Instantiates the parameterised suite for this build's device.
#if XCT_TEST_DEVICE_CUDA
#define XCT_INSTANTIATE_DEVICE_SUITE(Suite)                                            \
  INSTANTIATE_TEST_SUITE_P(Cuda, Suite, ::testing::Values(::xct::recon::Device::Cuda), \
                           ::xct::test::device_param_name)
#else
#define XCT_INSTANTIATE_DEVICE_SUITE(Suite)                                          \
  INSTANTIATE_TEST_SUITE_P(Cpu, Suite, ::testing::Values(::xct::recon::Device::Cpu), \
                           ::xct::test::device_param_name)
#endif
