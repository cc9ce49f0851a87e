// `xct recon` from the command line: values against the simulator's attenuation volume, slab
// and row-range invariance, uint16 scaling from the whole volume, configs, binning, the
// output folder's rules, and the centre measured or fitted along z.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "cuda/device.hpp"
#include "io/hdf5.hpp"
#include "io/hdf5_volume.hpp"
#include "io/png.hpp"
#include "io/tiff.hpp"
#include "tests/support/test_support.hpp"

namespace xct::test {
namespace {

namespace fs = std::filesystem;

template <typename T>
HostArray<T, 3> read_truth(const fs::path& file, const std::string& dataset) {
  const h5::File f = h5::open_file(file);
  const h5::Dataset d = h5::open_dataset(f, dataset);
  const auto info = h5::dataset_info(d);
  HostArray<T, 3> out({info.shape[0], info.shape[1], info.shape[2]});
  h5::read_block(d, {0, 0, 0}, {info.shape[0], info.shape[1], info.shape[2]},
                 std::is_same_v<T, float> ? H5T_NATIVE_FLOAT : H5T_NATIVE_UINT8, out.data());
  return out;
}

HostArray<float, 3> read_stack(const fs::path& folder) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(folder))
    n += e.path().filename().string().rfind("recon_", 0) == 0 ? 1 : 0;
  return read_tiff_stack_volume(folder, Range{0, n});
}

double rel_l2(const HostArray<float, 3>& a, const HostArray<float, 3>& b) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    num += std::pow(double(a.data()[i]) - b.data()[i], 2);
    den += std::pow(double(b.data()[i]), 2);
  }
  return std::sqrt(num / den);
}

// A noise-free 32-row band through the interface of the cell (NaK below, NASICON above, voids
// between), 256 columns of 5 um, 402 angles (pi/2 x 256: fully sampled), axis 0.35 px right
// of the detector centre (127.85). Simulated once for the whole suite.
class ReconCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const auto r = run_xct({"simulate", (*dir_ / "sim").string(), "--cols", "256", "--rows", "32",
                            "--cell-height", "256", "--first-row", "112", "--angles", "402",
                            "--pixel-size", "5", "--ideal", "--no-previews", "--no-progress"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static fs::path scan() { return *dir_ / "sim" / "scan_t00.h5"; }
  static fs::path truth() { return *dir_ / "sim" / "truth_t00.h5"; }
  static fs::path out(const std::string& name) { return *dir_ / name; }
  static constexpr double kTrueCentre = 127.85;
  static TempDir* dir_;
};
TempDir* ReconCli::dir_ = nullptr;

TEST_F(ReconCli, MatchesTheSimulatorsAttenuationVolume) {
  // No ring or zinger removal on a noise-free scan: what is measured is the reconstruction.
  const auto r = run_xct({"recon", scan().string(), "-o", out("quality").string(), "--rings",
                          "none", "--no-zingers", "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto report = read_json(out("quality") / "report.json");
  EXPECT_EQ(report["status"], "complete");
  EXPECT_EQ(report["output"]["units"], "1/cm");
  // The centre was measured (Vo, refined) on the middle row: within a tenth of a pixel.
  EXPECT_EQ(report["centre"]["source"], "measured");
  EXPECT_NEAR(report["centre"]["at_middle_row"].get<double>(), kTrueCentre, 0.1);

  const auto vol = read_stack(out("quality"));
  const auto att = read_truth<float>(truth(), "/attenuation");
  const auto lab = read_truth<std::uint8_t>(truth(), "/labels");
  ASSERT_EQ(vol.shape(), att.shape());
  const std::size_t nz = vol.extent(0), n = vol.extent(1);
  // Interior voxels: every 6-neighbour has the same label, so the truth is not a mixture of
  // two materials that a band-limited reconstruction necessarily blurs; and inside the field
  // of view (the inscribed circle every angle sees).
  auto interior = [&](std::size_t z, std::size_t y, std::size_t x) {
    const double cy = y - 0.5 * (n - 1.0), cx = x - 0.5 * (n - 1.0);
    if (cx * cx + cy * cy > std::pow(0.5 * n - 2, 2) || z == 0 || z + 1 == nz || y == 0 || x == 0 ||
        y + 1 == n || x + 1 == n)
      return false;
    const auto l = lab(z, y, x);
    return lab(z - 1, y, x) == l && lab(z + 1, y, x) == l && lab(z, y - 1, x) == l &&
           lab(z, y + 1, x) == l && lab(z, y, x - 1) == l && lab(z, y, x + 1) == l;
  };
  double err2 = 0, ref2 = 0;
  std::vector<double> sum(9, 0.0), truth_sum(9, 0.0), count(9, 0.0);
  for (std::size_t z = 0; z < nz; ++z) {
    for (std::size_t y = 0; y < n; ++y) {
      for (std::size_t x = 0; x < n; ++x) {
        if (!interior(z, y, x)) continue;
        const auto l = lab(z, y, x);
        sum[l] += vol(z, y, x), truth_sum[l] += att(z, y, x), count[l] += 1;
        if (l == 0) continue;
        err2 += std::pow(double(vol(z, y, x)) - att(z, y, x), 2);
        ref2 += std::pow(double(att(z, y, x)), 2);
      }
    }
  }
  const double rmse = std::sqrt(err2 / ref2);
  std::printf("relative RMSE inside the sample (interior voxels): %.4f\n", rmse);
  EXPECT_LE(rmse, 0.05);
  const double nasicon = 2.28;  // 1/cm at 80 keV
  ASSERT_GT(count[0], 1000);
  ASSERT_GT(count[6], 1000);
  // Background (air, 0 /cm) within 5 % of the sample's strongest attenuation; housing (PEEK
  // and FKM rubber) within 5 % of its true mean.
  EXPECT_LE(std::abs(sum[0] / count[0]), 0.05 * nasicon);
  EXPECT_NEAR(sum[6] / count[6], truth_sum[6] / count[6], 0.05 * truth_sum[6] / count[6]);
  EXPECT_NEAR(sum[3] / count[3], nasicon, 0.05 * nasicon);
  EXPECT_NEAR(sum[2] / count[2], 0.225, 0.05 * 0.225);  // NaK

  // The report says what was done and what it cost.
  EXPECT_GT(report["memory"]["peak_rss_bytes"].get<double>(), 0);
  EXPECT_GT(report["io"]["input_bytes_read"].get<double>(), 0);
  EXPECT_GT(report["io"]["bytes_written"].get<double>(), 32.0 * 256 * 256 * 4);
  EXPECT_GT(report["seconds"]["filter_backproject"].get<double>(), 0);
  EXPECT_EQ(report["output"]["previews"].size(), 3u);
  for (const auto& p : report["output"]["previews"]) {
    const auto png = read_png_gray8(out("quality") / p.get<std::string>());
    EXPECT_GT(png.size(), 0u);
  }
  EXPECT_TRUE(fs::exists(out("quality") / "config.toml"));
  // Each slice says what its values are (tifffile, as a user's script would read it).
  const auto desc = run_python(
      "import sys, tifffile; print(tifffile.TiffFile(sys.argv[1])"
      ".pages[0].description)",
      {(out("quality") / "recon_00000.tiff").string()});
  EXPECT_EQ(desc.out, "xct reconstruction; units=1/cm; voxel_size_um=5\n") << desc.err;
}

TEST_F(ReconCli, SlabsAndRowRangesGiveIdenticalSlices) {
  const std::string c = std::to_string(kTrueCentre);
  const std::vector<std::string> base = {"recon", scan().string(), "--rotation-axis", c,
                                         "--no-progress"};
  auto run = [&](const std::string& name, std::vector<std::string> extra) {
    auto args = base;
    args.insert(args.end(), {"-o", out(name).string()});
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = run_xct(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return read_stack(out(name));
  };
  const auto whole = run("slab64", {"--nsino-per-chunk", "64"});
  const auto by7 = run("slab7", {"--nsino-per-chunk", "7"});  // 7 + 7 + 7 + 7 + 4
  EXPECT_EQ(read_json(out("slab7") / "report.json")["chunks"], 5);
  ASSERT_EQ(whole.shape(), by7.shape());
  EXPECT_EQ(std::memcmp(whole.data(), by7.data(), whole.size() * sizeof(float)), 0)
      << "slab height changed the slices";
  const auto part = run("rows", {"--start-row", "5", "--end-row", "19", "--nsino-per-chunk", "4"});
  ASSERT_EQ(part.extent(0), 14u);
  EXPECT_EQ(std::memcmp(part.data(), &whole(5, 0, 0), part.size() * sizeof(float)), 0)
      << "a row range changed its slices";
}

TEST_F(ReconCli, Uint16IsScaledFromTheWholeVolume) {
  const std::string c = std::to_string(kTrueCentre);
  auto r = run_xct({"recon", scan().string(), "--rotation-axis", c, "-o", out("f32").string(),
                    "--save-format", "h5", "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_xct({"recon", scan().string(), "--rotation-axis", c, "-o", out("u16").string(),
               "--save-format", "h5", "--dtype", "uint16", "--nsino-per-chunk", "8",
               "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto f32 = read_hdf5_volume(out("f32") / "recon.h5", Range{0, 32});
  VolumeMeta meta;
  hdf5_volume_shape(out("u16") / "recon.h5", &meta);
  EXPECT_EQ(meta.dtype, DType::UInt16);
  EXPECT_EQ(meta.units, "1/cm");
  // Raw samples: 0 and 65535 occur once each over the volume, not in every slab of 8 slices.
  const h5::File f = h5::open_file(out("u16") / "recon.h5");
  HostArray<std::uint16_t, 3> raw({32, 256, 256});
  h5::read_block(h5::open_dataset(f, "/exchange/data"), {0, 0, 0}, {32, 256, 256},
                 H5T_NATIVE_UINT16, raw.data());
  std::vector<std::uint16_t> slab_max;
  for (std::size_t z0 = 0; z0 < 32; z0 += 8)
    slab_max.push_back(*std::max_element(&raw(z0, 0, 0), &raw(z0, 0, 0) + 8 * 256 * 256));
  EXPECT_EQ(*std::max_element(slab_max.begin(), slab_max.end()), 65535);
  EXPECT_LT(*std::min_element(slab_max.begin(), slab_max.end()), 65535)
      << "every slab reaches full scale: scaled per slab";
  EXPECT_EQ(*std::min_element(raw.data(), raw.data() + raw.size()), 0);
  // Decoded values agree with the float32 run to half a quantisation step.
  const auto u16 = read_hdf5_volume(out("u16") / "recon.h5", Range{0, 32});
  double worst = 0;
  for (std::size_t i = 0; i < u16.size(); ++i)
    worst = std::max(worst, std::abs(double(u16.data()[i]) - f32.data()[i]));
  EXPECT_LE(worst, 0.5 * meta.value_scale * 1.001 + 1e-6);
  const auto report = read_json(out("u16") / "report.json");
  EXPECT_EQ(report["counts"]["uint16_clipped"], 0);
}

TEST_F(ReconCli, BinningHalvesTheGridAndKeepsValues) {
  const std::string c = std::to_string(kTrueCentre);
  auto r = run_xct({"recon", scan().string(), "--rotation-axis", c, "-o", out("bin0").string(),
                    "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_xct({"recon", scan().string(), "--rotation-axis", c, "-o", out("bin1").string(),
               "--binning", "1", "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto full = read_stack(out("bin0"));
  auto binned = read_stack(out("bin1"));
  ASSERT_EQ(binned.extent(0), 16u);
  ASSERT_EQ(binned.extent(1), 128u);
  EXPECT_EQ(read_json(out("bin1") / "report.json")["output"]["voxel_size_um"], 10.0);
  // The 2 x 2 x 2 block means of the full-resolution volume: a centre mapped wrongly onto the
  // binned detector would blur or double every edge; values in 1/cm stay the same.
  HostArray<float, 3> down({16, 128, 128}, 0.0f);
  for (std::size_t z = 0; z < 32; ++z)
    for (std::size_t y = 0; y < 256; ++y)
      for (std::size_t x = 0; x < 256; ++x)
        down(z / 2, y / 2, x / 2) += full(z, y, x) / 8.0f;
  // Only the field of view; the binned reconstruction is smoother, so edges differ a little.
  for (std::size_t z = 0; z < 16; ++z)
    for (std::size_t y = 0; y < 128; ++y)
      for (std::size_t x = 0; x < 128; ++x)
        if (std::pow(y - 63.5, 2) + std::pow(x - 63.5, 2) > 60.0 * 60.0)
          down(z, y, x) = binned(z, y, x) = 0;
  const double d = rel_l2(binned, down);
  std::printf("binned vs block-averaged full resolution: relative L2 %.4f\n", d);
  EXPECT_LE(d, 0.05);
}

TEST_F(ReconCli, FinishedFolderNeedsOverwriteAndConfigReproducesTheRun) {
  const fs::path o = out("cfg");
  // A config names the scan and one setting per table; flags are its long names.
  {
    std::ofstream cfg(*dir_ / "run.toml");
    cfg << "[input]\npath = \"sim/scan_t00.h5\"\n[preprocess]\nrings = \"none\"\n"
        << "[recon]\nrotation-axis = 127.85\nnsino-per-chunk = 10\n"
        << "[output]\nout = \"" << o.string() << "\"\nsave-format = \"h5\"\n";
  }
  auto r = run_xct({"recon", (*dir_ / "run.toml").string(), "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(fs::exists(o / "recon.h5"));
  const auto first = read_hdf5_volume(o / "recon.h5", Range{0, 32});
  const auto report = read_json(o / "report.json");
  EXPECT_EQ(report["centre"]["source"], "given");
  EXPECT_EQ(report["slices_per_chunk"], 10);

  // Run again into the finished folder: refused, nothing touched.
  r = run_xct({"recon", (*dir_ / "run.toml").string(), "--no-progress"});
  EXPECT_EQ(r.exit_code, 2);
  expect_one_error_line(r);
  EXPECT_NE(r.err.find("--overwrite"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(o / "report.json"));

  // The resolved config written beside the volume reproduces it.
  fs::copy_file(o / "config.toml", *dir_ / "resolved.toml");
  r = run_xct({"recon", (*dir_ / "resolved.toml").string(), "--overwrite", "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto again = read_hdf5_volume(o / "recon.h5", Range{0, 32});
  ASSERT_EQ(again.shape(), first.shape());
  EXPECT_EQ(std::memcmp(first.data(), again.data(), first.size() * sizeof(float)), 0)
      << "the resolved config did not reproduce the run";

  // Unknown keys and keys in the wrong table are usage errors.
  {
    std::ofstream cfg(*dir_ / "bad.toml");
    cfg << "[input]\npath = \"sim/scan_t00.h5\"\n[recon]\nrotation-axs = 127.0\n";
  }
  r = run_xct({"recon", (*dir_ / "bad.toml").string(), "-o", out("bad").string()});
  EXPECT_EQ(r.exit_code, 2);
  expect_one_error_line(r);
  {
    std::ofstream cfg(*dir_ / "wrong.toml");
    cfg << "[input]\npath = \"sim/scan_t00.h5\"\n[output]\nrings = \"none\"\n";
  }
  r = run_xct({"recon", (*dir_ / "wrong.toml").string(), "-o", out("bad").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("belongs in another table"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out("bad")));
}

}  // namespace
}  // namespace xct::test

namespace xct::test {
namespace {

// The keys of a config's [preprocess], [recon] and [output] tables, set or commented out.
std::set<std::string> stage_keys(const fs::path& file) {
  std::ifstream in(file);
  std::set<std::string> keys;
  std::string line, table;
  const std::regex key_line(R"(^(# ?)?([a-z0-9-]+) = )");
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '[') table = line;
    std::smatch m;
    if ((table == "[preprocess]" || table == "[recon]" || table == "[output]") &&
        std::regex_search(line, m, key_line))
      keys.insert(table + " " + m[2].str());
  }
  return keys;
}

// configs/recon-full.toml runs as it is, and lists every key that a run resolves.
TEST(ReconConfigs, FullExampleRunsAndListsEveryKey) {
  TempDir dir;
  const fs::path full = source_dir() / "configs" / "recon-full.toml";
  const auto r = run_xct({"recon", full.string(), "-o", (dir / "rec").string(), "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto resolved = stage_keys(dir / "rec" / "config.toml");
  const auto listed = stage_keys(full);
  EXPECT_GT(resolved.size(), 30u);
  for (const auto& k : resolved)
    EXPECT_TRUE(listed.count(k)) << "configs/recon-full.toml lacks " << k;
  for (const auto& k : listed)
    EXPECT_TRUE(resolved.count(k)) << "configs/recon-full.toml has a key runs do not know: " << k;
}

}  // namespace
}  // namespace xct::test

namespace xct::test {
namespace {

// A run killed part-way leaves only its hidden staging folder: no report, no slice under its
// final name. The next run clears the leftovers and finishes.
TEST_F(ReconCli, KilledRunLeavesNothingThatLooksFinished) {
  const fs::path o = out("killed");
  const std::string script =
      "\"$0\" recon \"$1\" --rotation-axis 127.85 --nsino-per-chunk 1 -o \"$2\" --no-progress "
      ">/dev/null 2>&1 & pid=$!; "
      "for i in $(seq 600); do [ -e \"$2/.partial/recon_00002.tiff\" ] && break; sleep 0.02; done; "
      "kill -9 $pid; wait $pid; exit 0";
  const auto r = run_command({"bash", "-c", script, XCT_BINARY, scan().string(), o.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(fs::exists(o / ".partial" / "recon_00002.tiff")) << "the run ended before the kill";
  EXPECT_FALSE(fs::exists(o / "report.json"));
  for (const auto& e : fs::directory_iterator(o))
    EXPECT_NE(e.path().filename().string().rfind("recon_", 0), 0u) << e.path();
  const auto again = run_xct(
      {"recon", scan().string(), "--rotation-axis", "127.85", "-o", o.string(), "--no-progress"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_TRUE(fs::exists(o / "report.json"));
  EXPECT_FALSE(fs::exists(o / ".partial"));
  EXPECT_EQ(read_stack(o).extent(0), 32u);
}

// uint16 TIFF slices carry their offset and scale in the ImageDescription and decode to the
// float32 values within half a step.
TEST_F(ReconCli, Uint16TiffSlicesSayHowToDecodeThem) {
  const std::string c = "127.85";
  auto r = run_xct({"recon", scan().string(), "--rotation-axis", c, "-o", out("t32").string(),
                    "--end-row", "4", "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_xct({"recon", scan().string(), "--rotation-axis", c, "-o", out("t16").string(),
               "--end-row", "4", "--dtype", "uint16", "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto py = run_python(R"PY(
import sys, re, numpy as np, tifffile
a, b = sys.argv[1:3]
worst = 0.0
for i in range(4):
    t = tifffile.TiffFile(f"{b}/recon_{i:05d}.tiff")
    d = t.pages[0].description
    off = float(re.search(r"offset=([-0-9.e+]+)", d).group(1))
    scale = float(re.search(r"scale=([-0-9.e+]+)", d).group(1))
    u = t.asarray()
    assert u.dtype == np.uint16, u.dtype
    v = off + scale * u.astype(np.float64)
    worst = max(worst, float(np.abs(v - tifffile.imread(f"{a}/recon_{i:05d}.tiff")).max() / scale))
print(worst)
)PY",
                             {out("t32").string(), out("t16").string()});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  EXPECT_LE(std::stod(py.out), 0.5 + 1e-3) << "largest error, in quantisation steps";
}

// A scan over 360 degrees (half-open grid) is reconstructed from all its projections, each
// line weighted half: a disc of 0.05 per pixel comes back at its value.
TEST(ReconTurns, FullTurnUsesEveryProjection) {
  TempDir dir;
  const auto py = run_python(R"(
import sys, h5py, numpy as np
n_a, n_r, n_c, centre = 720, 4, 96, 48.0
theta = np.arange(n_a) * 360.0 / n_a
s = np.arange(n_c) - centre
t = np.deg2rad(theta)[:, None, None]
u = s[None, None, :] - (12.0 * np.cos(t) - 6.0 * np.sin(t))
p = 2 * 0.05 * np.sqrt(np.clip(20.0 ** 2 - u * u, 0, None)) * np.ones((1, n_r, 1))
with h5py.File(sys.argv[1], "w") as f:
    f["/exchange/data"] = np.round(30000 * np.exp(-p) + 100).astype(np.uint16)
    f["/exchange/data_white"] = np.full((2, n_r, n_c), 30100, np.uint16)
    f["/exchange/data_dark"] = np.full((2, n_r, n_c), 100, np.uint16)
    f["/exchange/theta"] = theta
)",
                             {(dir / "turn.h5").string()});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  const auto r = run_xct({"recon", (dir / "turn.h5").string(), "--rotation-axis", "48", "--rings",
                          "none", "--fbp-filter", "ram-lak", "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto report = read_json(dir / "turn_rec" / "report.json");
  EXPECT_TRUE(report["full_turn"].get<bool>());
  EXPECT_EQ(report["angles_used"], 720);
  const auto vol = read_stack(dir / "turn_rec");
  // Slice pixel (y, x) at (x - 47.5, y - 47.5); the disc is centred at (12, 6): mean over
  // radius 15 (away from its edge).
  double sum = 0;
  int count = 0;
  for (std::size_t y = 0; y < 96; ++y)
    for (std::size_t x = 0; x < 96; ++x)
      if (std::pow(x - 47.5 - 12.0, 2) + std::pow(y - 47.5 - 6.0, 2) < 15.0 * 15.0)
        sum += vol(1, y, x), ++count;
  EXPECT_NEAR(sum / count, 0.05, 0.05 * 0.02);
}

}  // namespace
}  // namespace xct::test

namespace xct::test {
namespace {

// --device: auto falls back to the CPU and says why; an explicit cuda request without a usable
// GPU exits 69 with one line before reading anything; an unknown name is a usage error.
TEST(ReconDevice, AutoFallsBackAndExplicitCudaWithoutGpuExits69) {
  if (!cuda::visible_devices().empty()) GTEST_SKIP() << "a CUDA device is visible";
  TempDir dir;
  const std::string scan = (source_dir() / "sample_data" / "tiny_dx.h5").string();
  auto r = run_xct({"recon", scan, "--device", "cuda", "--rotation-axis", "32.75", "-o",
                    (dir / "cuda").string(), "--no-progress"});
  EXPECT_EQ(r.exit_code, 69) << r.err;
  expect_one_error_line(r);
  EXPECT_NE(r.err.find("--device cuda"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "cuda" / "report.json"));

  r = run_xct({"recon", scan, "--device", "gpu", "-o", (dir / "bad").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  expect_one_error_line(r);

  r = run_xct(
      {"recon", scan, "--rotation-axis", "32.75", "-o", (dir / "auto").string(), "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("filter and back-projection on cpu ("), std::string::npos) << r.err;
  const auto report = read_json(dir / "auto" / "report.json");
  EXPECT_EQ(report["device"]["kind"], "cpu");
  EXPECT_EQ(report["device"]["detail"], "cpu (" + cuda::unavailable_reason() + ")");
}

}  // namespace
}  // namespace xct::test

namespace xct::test {
namespace {

// With flat-field and -log alone, the counts travel raw and are flat-fielded with the
// back-projection: the slices are byte for byte those of the float route (forced here by a
// zinger filter that replaces nothing), and the report says which route ran.
TEST(ReconRawRoute, RawCountsGiveTheFloatRoutesBytes) {
  TempDir dir;
  const std::string scan = (source_dir() / "sample_data" / "tiny_dx.h5").string();
  const std::vector<std::string> common{"recon",           scan,    "--device", "cpu",
                                        "--rotation-axis", "32.75", "--rings",  "none",
                                        "--no-progress"};
  auto args = common;
  args.insert(args.end(), {"--no-zingers", "-o", (dir / "raw").string()});
  auto r = run_xct(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  args = common;
  args.insert(args.end(), {"--zinger-threshold", "1e9", "-o", (dir / "float").string()});
  r = run_xct(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(read_json(dir / "raw" / "report.json")["device"]["raw_counts"].get<bool>());
  EXPECT_FALSE(read_json(dir / "float" / "report.json")["device"]["raw_counts"].get<bool>());
  EXPECT_EQ(read_json(dir / "float" / "report.json")["counts"]["zingers_replaced"], 0);
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir / "raw")) {
    if (e.path().extension() != ".tiff") continue;
    ++files;
    EXPECT_EQ(read_binary(e.path()), read_binary(dir / "float" / e.path().filename()))
        << e.path().filename();
  }
  EXPECT_EQ(files, 24u);  // the sample's 24 rows
}

}  // namespace
}  // namespace xct::test
