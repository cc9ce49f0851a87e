// `xct recon` at scale and at its edges: a scan four times larger than the memory budget, the
// bytes it reads from a Data Exchange file chunked one projection per chunk, the real Diamond
// scan end to end, a centre fitted along z, and the malformed inputs of `xct check` with the
// output folder left looking unfinished.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/dx_writer.hpp"
#include "io/png.hpp"
#include "io/tiff.hpp"
#include "tests/support/sample_scan.hpp"
#include "tests/support/test_support.hpp"

namespace xct::test {
namespace {

namespace fs = std::filesystem;

// Nothing in `folder` looks like a finished reconstruction: no report, no slices, no volume.
void expect_nothing_finished(const fs::path& folder) {
  if (!fs::exists(folder)) return;
  EXPECT_FALSE(fs::exists(folder / "report.json"));
  EXPECT_FALSE(fs::exists(folder / "recon.h5"));
  for (const auto& e : fs::directory_iterator(folder))
    EXPECT_NE(e.path().filename().string().rfind("recon_", 0), 0u) << e.path();
}

TEST(ReconScale, ScanFourTimesTheMemoryBudget) {
  TempDir dir;
  // 240 MB, one projection per chunk, axis at column 32.25 (tests/support/tall_scan.py).
  const auto py =
      run_command({XCT_TEST_PYTHON, (source_dir() / "tests" / "support" / "tall_scan.py").string(),
                   (dir / "big.h5").string()});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  const double centre = 32.25;
  const auto file_bytes = fs::file_size(dir / "big.h5");
  const std::uint64_t budget = file_bytes / 4;
  ASSERT_GT(file_bytes, 230u << 20);
  const auto r =
      run_xct({"recon", (dir / "big.h5").string(), "--rotation-axis", std::to_string(centre),
               "--rings", "none", "--max-memory", std::to_string(budget), "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto report = read_json(dir / "big_rec" / "report.json");
  const double peak = report["memory"]["peak_rss_bytes"].get<double>();
  std::printf("scan %.1f MiB, budget %.1f MiB, peak RSS %.1f MiB, %d slabs, read %.3f x file\n",
              file_bytes / 1048576.0, budget / 1048576.0, peak / 1048576.0,
              report["chunks"].get<int>(), report["io"]["input_read_ratio"].get<double>());
  EXPECT_LE(peak, 1.10 * static_cast<double>(budget));
  EXPECT_GT(report["chunks"].get<int>(), 4);
  // One projection per chunk, uncompressed: each slab reads only its rows of every chunk, so
  // the file is read about once however many slabs there are.
  EXPECT_LE(report["io"]["input_read_ratio"].get<double>(), 1.2);
  EXPECT_GE(report["io"]["input_read_ratio"].get<double>(), 0.9);
}

// Compressed chunks of one projection are decoded whole: slabs of 4 rows would decode the
// whole scan once per slab. Resliced, the file is read once and the slices are the same.
TEST(ReconScale, CompressedChunksAreReslicedAndReadOnce) {
  TempDir dir;
  const auto sim = run_xct({"simulate",      (dir / "sim").string(),
                            "--cols",        "128",
                            "--rows",        "32",
                            "--cell-height", "128",
                            "--first-row",   "48",
                            "--angles",      "201",
                            "--pixel-size",  "20",
                            "--compression", "1",
                            "--truth",       "none",
                            "--no-previews", "--no-progress"});
  ASSERT_EQ(sim.exit_code, 0) << sim.err;
  const fs::path scan = dir / "sim" / "scan_t00.h5";
  auto run = [&](const std::string& name, const std::string& reslice) {
    const auto r =
        run_xct({"recon", scan.string(), "--rotation-axis", "63.85", "-o", (dir / name).string(),
                 "--nsino-per-chunk", "4", "--reslice", reslice, "--no-progress"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return read_json(dir / name / "report.json");
  };
  const auto on = run("auto", "auto");
  const auto off = run("off", "off");
  std::printf("8 slabs: read %.2f x the file resliced, %.2f x without\n",
              on["io"]["input_read_ratio"].get<double>(),
              off["io"]["input_read_ratio"].get<double>());
  EXPECT_TRUE(on["io"]["resliced"].get<bool>());
  EXPECT_FALSE(off["io"]["resliced"].get<bool>());
  EXPECT_LE(on["io"]["input_read_ratio"].get<double>(), 1.2);
  EXPECT_GE(off["io"]["input_read_ratio"].get<double>(), 4.0);
  EXPECT_GT(on["io"]["scratch_bytes_read"].get<double>(), 0);
  const auto a = read_tiff_stack_volume(dir / "auto", Range{0, 32});
  const auto b = read_tiff_stack_volume(dir / "off", Range{0, 32});
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
  EXPECT_FALSE(fs::exists(dir / "auto" / ".partial")) << "the scratch file was left behind";
}

TEST(ReconScale, BudgetTooSmallForOneSliceIsAUsageError) {
  TempDir dir;
  write_sample_scan(dir / "scan.h5");
  const auto r = run_xct(
      {"-q", "recon", (dir / "scan.h5").string(), "--rotation-axis", "32", "--max-memory", "4M"});
  EXPECT_EQ(r.exit_code, 2);
  expect_one_error_line(r);
  EXPECT_NE(r.err.find("--max-memory"), std::string::npos) << r.err;
  expect_nothing_finished(dir / "scan_rec");
}

TEST(ReconScale, RealDiamondScanEndToEnd) {
  const fs::path scan = real_data_dir() / "dls-24737-tiff";
  ASSERT_TRUE(fs::is_directory(scan)) << scan;
  TempDir dir;
  const auto r = run_xct({"recon", scan.string(), "--config",
                          (source_dir() / "configs" / "dls-24737-tiff.toml").string(), "-o",
                          (dir / "rec").string(), "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto report = read_json(dir / "rec" / "report.json");
  // Algotom's find_center_vo gives 85.5 on row 67 of this scan (docs/centre.md).
  EXPECT_EQ(report["centre"]["source"], "measured");
  EXPECT_NEAR(report["centre"]["at_middle_row"].get<double>(), 85.5, 1.0);
  EXPECT_EQ(report["output"]["shape_zyx"], nlohmann::json({135, 160, 160}));
  const auto vol = read_tiff_stack_volume(dir / "rec", Range{0, 135});
  for (std::size_t i = 0; i < vol.size(); ++i)
    ASSERT_TRUE(std::isfinite(vol.data()[i])) << "voxel " << i;
  // The middle slice's preview shows the sample: a spread of grey levels, not a flat image.
  const auto png = read_png_gray8(dir / "rec" / "previews" / "xy_z67.png");
  double sum = 0, sum2 = 0;
  for (std::size_t i = 0; i < png.size(); ++i)
    sum += png.data()[i], sum2 += double(png.data()[i]) * png.data()[i];
  const double mean = sum / png.size(), sd = std::sqrt(sum2 / png.size() - mean * mean);
  EXPECT_GT(sd, 20.0) << "the middle slice preview is nearly flat";
}

// Two simulated bands with the axis 3 px left and 3 px right of the detector centre, stacked
// as the upper and lower halves of one scan: a centre that changes along z. Measured on one
// row of each half, the fitted line gives each half its own centre.
TEST(ReconScale, CentreFittedAlongZ) {
  TempDir dir;
  for (const char* off : {"-3", "3"}) {
    const auto r = run_xct({"simulate",
                            (dir / off).string(),
                            "--cols",
                            "192",
                            "--rows",
                            "16",
                            "--cell-height",
                            "192",
                            "--first-row",
                            "100",
                            "--angles",
                            "301",
                            "--pixel-size",
                            "10",
                            "--ideal",
                            "--truth",
                            "none",
                            "--no-previews",
                            "--no-progress",
                            "--axis-offset",
                            off});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  const auto py = run_python(R"(
import sys, h5py, numpy as np
a, b, out = sys.argv[1:4]
with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb, h5py.File(out, "w") as fo:
    for key in ("data", "data_white", "data_dark"):
        fo["/exchange/" + key] = np.concatenate([fa["/exchange/" + key][...],
                                                 fb["/exchange/" + key][...]], axis=1)
    fo["/exchange/theta"] = fa["/exchange/theta"][...]
)",
                             {(dir / "-3" / "scan_t00.h5").string(),
                              (dir / "3" / "scan_t00.h5").string(), (dir / "tilt.h5").string()});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  const auto r = run_xct({"recon", (dir / "tilt.h5").string(), "--rotation-axis-rows", "8,24",
                          "--rotation-axis-fit", "--rotation-axis-band", "8", "--pixel-size", "10",
                          "--end-row", "32", "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto c = read_json(dir / "tilt_rec" / "report.json")["centre"];
  EXPECT_EQ(c["source"], "fit");
  const double mid = 95.5;
  EXPECT_NEAR(c["measured_centres"][0].get<double>(), mid - 3, 0.15);
  EXPECT_NEAR(c["measured_centres"][1].get<double>(), mid + 3, 0.15);
  EXPECT_NEAR(c["slope_per_row"].get<double>(), 6.0 / 16.0, 0.02);
  // The resolved config keeps the rows and the fit instead of a single centre.
  std::ifstream cfg(dir / "tilt_rec" / "config.toml");
  const std::string text((std::istreambuf_iterator<char>(cfg)), {});
  EXPECT_NE(text.find("rotation-axis-rows = '8,24'"), std::string::npos) << text;
  EXPECT_NE(text.find("rotation-axis-fit = true"), std::string::npos) << text;
}

// The malformed inputs of `xct check`, through `xct recon`: the documented exit code, one
// line, and nothing in the output folder that looks finished.
TEST(ReconScale, BadInputGivesItsExitCodeAndNoFinishedOutput) {
  TempDir dir;
  write_sample_scan(dir / "good.h5");
  fs::copy_file(dir / "good.h5", dir / "truncated.h5");
  fs::resize_file(dir / "truncated.h5", fs::file_size(dir / "good.h5") / 2);
  fs::create_directory(dir / "empty");
  // A float32 scan with a NaN in a projection at row 20: the first slabs succeed, then the
  // run fails part-way, after slices were written to the staging folder.
  {
    const SampleScan s = make_sample_scan();
    auto as_float = [](const HostArray<std::uint16_t, 3>& a) {
      HostArray<float, 3> f(a.shape());
      for (std::size_t i = 0; i < a.size(); ++i)
        f.data()[i] = a.data()[i];
      return f;
    };
    auto proj = as_float(s.projections);
    const auto flats = as_float(s.flats), darks = as_float(s.darks);
    proj(60, 20, 30) = std::nanf("");
    auto stack = [](const HostArray<float, 3>& a) {
      return FrameStack{DType::Float32, a.data(), a.extent(0), a.extent(1), a.extent(2)};
    };
    DxScan scan;
    scan.projections = stack(proj);
    scan.flats = stack(flats);
    scan.darks = stack(darks);
    scan.theta_deg = s.theta_deg;
    write_data_exchange(dir / "nan.h5", scan);
  }
  // One byte of the committed sample scan that makes the HDF5 library crash (cli_test.cpp).
  fs::copy_file(source_dir() / "sample_data" / "tiny_dx.h5", dir / "crash.h5");
  {
    std::fstream f(dir / "crash.h5", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(1896);
    f.put(53);
  }
  // Inconsistent files written with h5py: one angle too many, 2-D data, flats of another
  // width, angles in radians where Data Exchange stores degrees, a dangling flats link.
  const auto py = run_python(R"(
import sys, h5py, numpy as np
d = sys.argv[1]
src = h5py.File(d + "/good.h5", "r")
def copy(name, edit):
    with h5py.File(d + "/" + name, "w") as f:
        for k in ("data", "data_white", "data_dark", "theta"):
            f["/exchange/" + k] = src["/exchange/" + k][...]
        edit(f)
def theta_plus_one(f):
    t = f["/exchange/theta"][...]; del f["/exchange/theta"]
    f["/exchange/theta"] = np.append(t, t[-1] + 1.5)
def flat_2d(f):
    p = f["/exchange/data"][...]; del f["/exchange/data"]; f["/exchange/data"] = p[:, 0, :]
def narrow_flats(f):
    w = f["/exchange/data_white"][...]; del f["/exchange/data_white"]
    f["/exchange/data_white"] = w[:, :, :-1]
def radians(f):
    t = f["/exchange/theta"][...]; del f["/exchange/theta"]; f["/exchange/theta"] = np.deg2rad(t)
def dangling(f):
    del f["/exchange/data_white"]
    f["/exchange/data_white"] = h5py.ExternalLink("gone.h5", "/flats")
copy("angles.h5", theta_plus_one); copy("rank.h5", flat_2d); copy("narrow.h5", narrow_flats)
copy("radians.h5", radians); copy("dangling.h5", dangling)
)",
                             {dir.path().string()});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  struct Case {
    std::string name;
    std::vector<std::string> args;
    int code;
  };
  const std::string good = (dir / "good.h5").string();
  const std::vector<Case> cases = {
      {"missing input", {(dir / "none.h5").string()}, 66},
      {"truncated HDF5", {(dir / "truncated.h5").string()}, 65},
      {"empty folder", {(dir / "empty").string()}, 65},
      {"HDF5 that crashes the library", {(dir / "crash.h5").string()}, 65},
      {"angle count", {(dir / "angles.h5").string()}, 65},
      {"2-D projections", {(dir / "rank.h5").string()}, 65},
      {"flats of another width", {(dir / "narrow.h5").string()}, 65},
      {"degrees stored as radians", {(dir / "radians.h5").string()}, 65},
      {"dangling flats link", {(dir / "dangling.h5").string()}, 66},
      {"NaN part-way",
       {(dir / "nan.h5").string(), "--rotation-axis", "32", "--nsino-per-chunk", "4"},
       65},
      {"binning 3", {good, "--binning", "3"}, 2},
      {"dtype", {good, "--dtype", "int8"}, 2},
      {"format", {good, "--save-format", "png"}, 2},
      {"filter", {good, "--fbp-filter", "gauss"}, 2},
      {"centre off the detector", {good, "--rotation-axis", "80"}, 2},
      {"rows past the detector", {good, "--start-row", "30"}, 2},
      {"memory size", {good, "--max-memory", "lots"}, 2},
      {"stripe method", {good, "--remove-stripe-method", "ti"}, 2},
      {"uint16 range", {good, "--dtype", "uint16", "--uint16-range", "1,0"}, 2},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"-q", "recon"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    args.insert(args.end(), {"-o", (dir / "out").string(), "--pixel-size", "1.3"});
    const auto r = run_xct(args);
    EXPECT_EQ(r.exit_code, c.code) << c.name << ": " << r.err;
    expect_one_error_line(r);
    expect_nothing_finished(dir / "out");
    EXPECT_FALSE(fs::exists(dir / "out" / ".partial")) << c.name;
  }
}

}  // namespace
}  // namespace xct::test
