// `xct center` from the command line: the centre it prints and records on simulated scans
// whose true axis is known, the try mode's file names, and exit codes for bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "io/dx_writer.hpp"
#include "io/tiff.hpp"
#include "tests/support/sample_scan.hpp"
#include "tests/support/test_support.hpp"

namespace xct::test {
namespace {

namespace fs = std::filesystem;

// A 16-row band through the pellet of a 256-wide detector with every detector effect on
// (noise, zingers, stripes, drift, blur); the axis sits `offset` columns right of the
// detector's centre. 10 um pixels make the cell 2.6 mm across, as a real one, with its real
// contrast (at the default 1.3 um a 256-pixel cell is a 0.3 mm sliver that absorbs 3 %).
fs::path simulate_scan(const TempDir& dir, const std::string& name, double offset,
                       const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"simulate",      (dir / name).string(),
                                   "--cols",        "256",
                                   "--rows",        "16",
                                   "--cell-height", "256",
                                   "--first-row",   "140",
                                   "--angles",      "361",
                                   "--flats",       "5",
                                   "--darks",       "5",
                                   "--pixel-size",  "10",
                                   "--truth",       "none",
                                   "--no-previews", "--no-progress",
                                   "--axis-offset", std::to_string(offset)};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto r = run_xct(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return dir / name / "scan_t00.h5";
}

double printed_centre(const std::string& out) {
  std::smatch m;
  EXPECT_TRUE(std::regex_search(out, m, std::regex("centre ([0-9.]+)"))) << out;
  return m.empty() ? -1 : std::stod(m[1]);
}

TEST(CenterCli, FindsTheSimulatedAxisAndRecordsIt) {
  TempDir dir;
  // Axes 15 % of the width either side of the detector's centre (outside Algotom's default
  // search of +-width/16); a cell of radius 0.3 of the width stays in view around them.
  for (double offset : {-0.15 * 256, 0.15 * 256}) {
    for (const char* seed : {"1", "2"}) {
      const std::string name = "off" + std::to_string(int(offset)) + "_" + seed;
      const fs::path scan =
          simulate_scan(dir, name, offset, {"--cell-radius", "0.3", "--seed", seed});
      const double truth = (256 - 1) / 2.0 + offset;
      const auto r = run_xct({"center", "--no-progress", scan.string()});
      ASSERT_EQ(r.exit_code, 0) << r.err;
      EXPECT_NEAR(printed_centre(r.out), truth, 0.25) << name;
      const fs::path record = scan.parent_path() / "xct_center.json";
      ASSERT_TRUE(fs::exists(record));
      const auto doc = nlohmann::json::parse(std::ifstream(record));
      EXPECT_NEAR(doc["scan_t00.h5"]["centre"].get<double>(), printed_centre(r.out),
                  0.5e-4);  // printed with 4 decimals
      EXPECT_EQ(doc["scan_t00.h5"]["method"], "vo");
      // Cross-correlation of the 0 and 180 degree projections finds the same axis.
      const auto pc =
          run_xct({"center", "--no-progress", "--method", "pc", "--no-record", scan.string()});
      ASSERT_EQ(pc.exit_code, 0) << pc.err;
      EXPECT_NEAR(printed_centre(pc.out), truth, 0.5) << name;
    }
  }
}

TEST(CenterCli, RealDiamondScanAgreesWithAlgotomAndBetweenMethods) {
  // Row 67 of the Diamond TIFF scan; Algotom's find_center_vo gives 85.5 on it (README of
  // shared/data/real). Nothing is recorded next to the shared data.
  const fs::path scan = real_data_dir() / "dls-24737-tiff";
  const std::string config = (source_dir() / "configs" / "dls-24737-tiff.toml").string();
  const auto vo = run_xct(
      {"center", "--no-progress", "--no-record", "--config", config, "--row", "67", scan.string()});
  ASSERT_EQ(vo.exit_code, 0) << vo.err;
  const auto pc = run_xct({"center", "--no-progress", "--no-record", "--config", config, "--row",
                           "67", "--method", "pc", scan.string()});
  ASSERT_EQ(pc.exit_code, 0) << pc.err;
  EXPECT_NEAR(printed_centre(vo.out), 85.5, 0.5);
  EXPECT_NEAR(printed_centre(pc.out), printed_centre(vo.out), 0.5);
}

TEST(CenterCli, TryModeNamesEachSliceByTheExactCentreUsed) {
  TempDir dir;
  const fs::path scan = simulate_scan(dir, "try", 0.35);
  const fs::path out = dir / "trials";
  const auto r = run_xct({"center", "--no-progress", "--try", "--try-range", "126.5,128.25,0.25",
                          "--out", out.string(), scan.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<double> names;
  for (const auto& e : fs::directory_iterator(out)) {
    std::smatch m;
    const std::string f = e.path().filename().string();
    ASSERT_TRUE(std::regex_match(f, m, std::regex("center_([0-9.]+)\\.tiff"))) << f;
    names.push_back(std::stod(m[1]));
  }
  std::sort(names.begin(), names.end());
  ASSERT_EQ(names.size(), 8u);  // 126.5, 126.75, ..., 128.25
  for (std::size_t i = 0; i < names.size(); ++i)
    EXPECT_EQ(names[i], 126.5 + 0.25 * double(i));
  // The slice nearest the true centre (127.85) is sharper than the one 1.35 px off, whose
  // edges are doubled: its total variation is lower.
  const auto tv = [&](const std::string& name) {
    const auto img = read_tiff_image(out / ("center_" + name + ".tiff"));
    double sum = 0;
    for (std::size_t y = 0; y + 1 < img.extent(0); ++y)
      for (std::size_t x = 0; x + 1 < img.extent(1); ++x)
        sum += std::abs(img(y, x + 1) - img(y, x)) + std::abs(img(y + 1, x) - img(y, x));
    return sum;
  };
  EXPECT_LT(tv("127.75"), tv("126.50"));
}

TEST(CenterCli, BadInputGivesOneLineAndTheDocumentedExitCode) {
  TempDir dir;
  const fs::path scan = simulate_scan(dir, "bad", 0.35);
  const auto code = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"center", "--no-progress", "--no-record"});
    args.push_back(scan.string());
    const auto r = run_xct(args);
    EXPECT_LE(count_lines(r.err), 1u) << r.err;
    return r.exit_code;
  };
  EXPECT_EQ(code({"--start", "-5"}), 2);  // a search range outside the detector
  EXPECT_EQ(code({"--stop", "400"}), 2);
  EXPECT_EQ(code({"--row", "99"}), 2);  // a row outside the detector
  EXPECT_EQ(code({"--method", "entropy"}), 2);
  EXPECT_EQ(code({"--angle-range", "0,90"}), 65);  // angles not covering 180 degrees
  EXPECT_EQ(code({"--try", "--try-range", "10,5,1"}), 2);
  EXPECT_EQ(run_xct({"center", "--no-progress", (dir / "missing.h5").string()}).exit_code, 66);
}

// Scans with bad data, written as Data Exchange from the small sample scan: each gives one
// line and exit 65 (bad input data), never a crash or a NaN centre.
TEST(CenterCli, BadDataIsRefusedWithExit65) {
  TempDir dir;
  const SampleScan base = make_sample_scan();
  const auto write = [&](const std::string& name, const auto& edit) {
    SampleScan s = make_sample_scan();
    DxScan dx;
    dx.projections = {DType::UInt16, s.projections.data(), s.projections.extent(0),
                      s.projections.extent(1), s.projections.extent(2)};
    dx.flats = {DType::UInt16, s.flats.data(), s.flats.extent(0), s.flats.extent(1),
                s.flats.extent(2)};
    dx.darks = {DType::UInt16, s.darks.data(), s.darks.extent(0), s.darks.extent(1),
                s.darks.extent(2)};
    dx.theta_deg = s.theta_deg;
    edit(s, dx);
    write_data_exchange(dir / name, dx);
    return (dir / name).string();
  };
  const auto code = [&](const std::string& file) {
    const auto r = run_xct({"center", "--no-progress", "--no-record", file});
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
    EXPECT_EQ(r.out.find("centre"), std::string::npos) << r.out;
    return r.exit_code;
  };
  // The untouched scan works: the edits below are what fails.
  EXPECT_EQ(run_xct({"center", "--no-progress", "--no-record",
                     write("good.h5", [](SampleScan&, DxScan&) {})})
                .exit_code,
            0);
  // All-zero flats: flat - dark <= 0 everywhere.
  EXPECT_EQ(
      code(write("zero_flats.h5",
                 [](SampleScan& s, DxScan&) { std::fill(s.flats.begin(), s.flats.end(), 0); })),
      65);
  // Saturated flats: every flat pixel at 65535.
  EXPECT_EQ(
      code(write("saturated.h5",
                 [](SampleScan& s, DxScan&) { std::fill(s.flats.begin(), s.flats.end(), 65535); })),
      65);
  // A single projection.
  EXPECT_EQ(code(write("one_angle.h5",
                       [](SampleScan&, DxScan& dx) {
                         dx.projections.n_frames = 1;
                         dx.theta_deg.resize(1);
                       })),
            65);
  // Angles over 90 degrees only.
  EXPECT_EQ(code(write("quarter.h5",
                       [](SampleScan&, DxScan& dx) {
                         for (auto& t : dx.theta_deg)
                           t *= 0.5;
                       })),
            65);
  // float32 projections holding NaN.
  std::vector<float> with_nan(base.projections.begin(), base.projections.end());
  with_nan[with_nan.size() / 2] = std::nanf("");
  EXPECT_EQ(code(write("nan.h5",
                       [&](SampleScan&, DxScan& dx) {
                         dx.projections.dtype = DType::Float32;
                         dx.projections.data = with_nan.data();
                       })),
            65);
}

}  // namespace
}  // namespace xct::test
