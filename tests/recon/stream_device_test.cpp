// The streamed route of `xct recon` (recon/pipeline_stream.hpp): raw counts through flat-field,
// zingers, ring removal, -log, filter and back-projection on the device, with reading,
// transfers, compute and writing overlapped, on one or several workers. Built as
// stream_device_test_cpu and stream_device_test_cuda (ctest label `gpu`), which skips its
// tests when no CUDA device is visible; the cpu build checks the same commands on the CPU
// path, which is the reference the cuda build is held to.
//
// What a number means: 1e-5 is the largest relative L2 difference the device may show against
// the CPU on the same scan, for every ring method (flat-field and zingers agree bit for bit,
// the ring statistics and masks exactly, the filter method's low-pass, computed in double on
// both devices and rounded to float once, to the same floats, so that its sorting orders it
// as the CPU does; the back-projection's filter and the sum over angles to float rounding).
#include <gtest/gtest.h>

#include "tests/support/device_test.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>
#include <string>
#include <vector>

#include "cuda/device.hpp"
#include "io/hdf5_volume.hpp"
#include "recon/fbp_device.hpp"
#include "recon/pipeline_stream.hpp"
#include "tests/support/test_support.hpp"

namespace xct::recon {
namespace {

namespace fs = std::filesystem;
using test::run_xct;
using test::TempDir;

constexpr double kDeviceTolerance = 1e-5;  // relative L2, device vs CPU on the same scan
constexpr bool kCuda = XCT_TEST_DEVICE_CUDA != 0;
const char* const kDevice = kCuda ? "cuda" : "cpu";

// A 24-row band of the simulated cell with the detector's stripes, zingers (two per frame)
// and photon noise, 192 columns, 301 angles: simulated once for the suite.
class StreamDevice : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    if (kCuda && cuda::visible_devices().empty()) return;  // every test skips
    const auto r = run_xct({"simulate",
                            (*dir_ / "sim").string(),
                            "--cols",
                            "192",
                            "--rows",
                            "24",
                            "--cell-height",
                            "192",
                            "--first-row",
                            "84",
                            "--angles",
                            "301",
                            "--pixel-size",
                            "5",
                            "--zingers-per-frame",
                            "2",
                            "--truth",
                            "none",
                            "--no-previews",
                            "--no-progress"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (kCuda && cuda::visible_devices().empty())
      GTEST_SKIP() << "no CUDA device: " << cuda::unavailable_reason();
  }
  static fs::path scan() { return *dir_ / "sim" / "scan_t00.h5"; }
  static constexpr const char* kCentre = "95.85";  // the simulator's axis: 95.5 + 0.35

  // Runs xct recon into `name` (HDF5 output) and returns its report.
  static nlohmann::json recon(const std::string& name, const std::string& device,
                              std::vector<std::string> extra) {
    std::vector<std::string> args{
        "recon", scan().string(),         "--device",      device, "--rotation-axis", kCentre,
        "-o",    (*dir_ / name).string(), "--save-format", "h5",   "--no-progress"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = run_xct(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return test::read_json(*dir_ / name / "report.json");
  }
  static HostArray<float, 3> volume(const std::string& name) {
    const fs::path f = *dir_ / name / "recon.h5";
    return read_hdf5_volume(f, Range{0, hdf5_volume_shape(f).nz});
  }
  static TempDir* dir_;
};
TempDir* StreamDevice::dir_ = nullptr;

// Every device chain (zingers with each ring method the device has) against the CPU: the
// volume to 1e-5, and the same zingers replaced and stripe columns flagged.
TEST_F(StreamDevice, EveryChainMatchesTheCpu) {
  for (const std::string rings : {"sort", "filter", "large", "dead", "all"}) {
    const auto dev = recon("dev_" + rings, kDevice, {"--rings", rings});
    const auto cpu = recon("cpu_" + rings, "cpu", {"--rings", rings});
    EXPECT_EQ(dev["device"]["kind"], kDevice);
    EXPECT_EQ(dev["device"].contains("stream"), kCuda) << rings;
    EXPECT_EQ(dev["counts"]["zingers_replaced"], cpu["counts"]["zingers_replaced"]) << rings;
    EXPECT_GT(cpu["counts"]["zingers_replaced"].get<std::size_t>(), 0u) << "the scan has zingers";
    EXPECT_EQ(dev["counts"]["stripe_columns_flagged"], cpu["counts"]["stripe_columns_flagged"])
        << rings;
    EXPECT_EQ(dev["counts"]["nonpositive_samples"], cpu["counts"]["nonpositive_samples"]);
    const auto got = volume("dev_" + rings), want = volume("cpu_" + rings);
    ASSERT_EQ(got.size(), want.size());
    const double diff = test::relative_l2(got.data(), want.data(), want.size());
    RecordProperty("relative_l2_" + rings, std::to_string(diff));
    EXPECT_LE(diff, kDeviceTolerance) << rings;
  }
}

// Slabs of any height and any number of workers give the same bytes: --gpus 0,0 runs two
// workers on one device, --max-gpu-memory and --nsino-per-chunk shrink the slabs.
TEST_F(StreamDevice, WorkersAndSlabHeightsGiveTheSameBytes) {
  const auto one = recon("one", kDevice, {});
  const auto two = recon("two", kDevice, {"--gpus", "0,0", "--nsino-per-chunk", "5"});
  if (kCuda) {
    EXPECT_EQ(one["device"]["stream"]["workers"], 1);
    EXPECT_EQ(two["device"]["stream"]["workers"], 2);
    EXPECT_EQ(two["device"]["stream"]["rows_per_slab"], 5);
    EXPECT_EQ(two["device"]["stream"]["slabs"], 5);  // 24 rows: 5 + 5 + 5 + 5 + 4
  }
  // The memory of 3-row slabs for this scan's geometry and chain caps the slabs below it.
  PreprocessParams prep;
  prep.rings.method = "sort";
  const auto info_angles = one["angles_used"].get<std::size_t>();
  std::vector<double> angles(info_angles);
  for (std::size_t i = 0; i < angles.size(); ++i)
    angles[i] = std::numbers::pi * static_cast<double>(i) / static_cast<double>(angles.size());
  const cuda::FbpSetup setup = fbp_device_setup(angles, 192, FbpParams{});
  const std::size_t cap =
      cuda::FbpEngine::stream_bytes(setup, raw_chain(prep, angles.size(), 192), 3);
  // (Without CUDA compiled in there is no device memory to count: any cap will do.)
  const auto small = recon(
      "small", kDevice, {"--max-gpu-memory", std::to_string(std::max<std::size_t>(cap, 1 << 20))});
  if (kCuda) {
    EXPECT_GE(small["device"]["stream"]["rows_per_slab"].get<std::size_t>(), 1u);
    EXPECT_LE(small["device"]["stream"]["rows_per_slab"].get<std::size_t>(), 3u);
  }
  const auto a = volume("one"), b = volume("two"), c = volume("small");
  ASSERT_EQ(a.size(), b.size());
  ASSERT_EQ(a.size(), c.size());
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
  EXPECT_EQ(std::memcmp(a.data(), c.data(), a.size() * sizeof(float)), 0);
}

// report.json: per-stage GPU seconds and the fraction of the stream's wall time the GPU was
// busy; a CPU run has no stream.
TEST_F(StreamDevice, ReportsStageTimesAndOverlap) {
  const auto r = recon("report", kDevice, {"--rings", "all"});
  if (!kCuda) {
    EXPECT_FALSE(r["device"].contains("stream"));
    return;
  }
  const auto& s = r["device"]["stream"];
  for (const char* stage : {"upload", "flat_field", "zingers", "rings", "log", "filter",
                            "back_project", "download", "compute"})
    EXPECT_GT(s["gpu_seconds"][stage].get<double>(), 0.0) << stage;
  const double busy = s["overlap"]["gpu_busy_fraction"].get<double>();
  EXPECT_GT(busy, 0.0);
  EXPECT_LE(busy, 1.0);
  EXPECT_GT(s["wall_seconds"].get<double>(), 0.0);
  EXPECT_EQ(r["device"]["raw_counts"], true);
}

// A device list that is not one, and a GPU memory cap below one row's need: one line (with
// -q, which leaves only warnings and errors) and the documented exit code (2 usage, 69 device
// unavailable), nothing written.
TEST_F(StreamDevice, BadGpuOptions) {
  const auto bad = run_xct({"-q", "recon", scan().string(), "--device", kDevice, "--gpus", "0,x",
                            "--rotation-axis", kCentre, "-o", (*dir_ / "bad").string()});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  test::expect_one_error_line(bad);
  EXPECT_FALSE(fs::exists(*dir_ / "bad" / "report.json"));
  if (!kCuda) return;
  const auto tiny = run_xct({"-q", "recon", scan().string(), "--device", "cuda", "--max-gpu-memory",
                             "1M", "--rotation-axis", kCentre, "-o", (*dir_ / "tiny").string()});
  EXPECT_EQ(tiny.exit_code, 69) << tiny.err;
  test::expect_one_error_line(tiny);
  EXPECT_FALSE(fs::exists(*dir_ / "tiny" / "report.json"));
}

}  // namespace
}  // namespace xct::recon
