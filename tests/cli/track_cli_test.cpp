// `xct track` from the command line on sample_data/cell_series (four raw scans of the simulated
// cell): each step reconstructed by `xct recon` into OUT/recon/tNN and reused by a rerun; every
// output exists and parses (time table, registration and object tables, plots, per-step labels
// and overlays, report.html), track.json is written last; a finished folder is refused without
// --overwrite; a single step, steps of different shapes or voxel sizes and a step that does not
// register give their exit codes with one line, the last with the report marking the step.
// The accuracy of tracking is tested in tests/segment/track_test.cpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/test_support.hpp"

namespace xct::test {
namespace {

namespace fs = std::filesystem;

constexpr int kExitUsage = 2, kExitBadData = 65;
constexpr std::size_t kSteps = 4;  // scan_t00.h5 .. scan_t03.h5

fs::path series() {
  return source_dir() / "sample_data" / "cell_series";
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class TrackCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    first_ = new CommandResult(
        run_xct({"--no-progress", "track", series().string(), "-o", out().string(), "--truth",
                 (series() / "truth.json").string(), "--times", "0,2.5,5,7.5"}));
  }
  static void TearDownTestSuite() {
    delete first_;
    delete dir_;
  }
  static fs::path out() { return *dir_ / "track"; }
  static TempDir* dir_;
  static CommandResult* first_;
};
TempDir* TrackCli::dir_ = nullptr;
CommandResult* TrackCli::first_ = nullptr;

TEST_F(TrackCli, RawSeriesGivesEveryOutput) {
  ASSERT_EQ(first_->exit_code, 0) << first_->err;
  EXPECT_NE(first_->out.find("report   " + (out() / "report.html").string()), std::string::npos)
      << first_->out;
  for (const char* f : {"time_series.csv", "time_series.json", "registration.csv", "objects.csv",
                        "report.html", "config.toml", "track.json"})
    EXPECT_TRUE(fs::is_regular_file(out() / f)) << f;
  EXPECT_FALSE(fs::exists(out() / ".partial"));
  // Each step reconstructed, and its labels and overlays in the common frame.
  for (std::size_t k = 0; k < kSteps; ++k) {
    const std::string t = "t0" + std::to_string(k);
    EXPECT_TRUE(fs::is_regular_file(out() / "recon" / t / "report.json")) << t;
    EXPECT_TRUE(fs::is_regular_file(out() / "steps" / t / "labels.h5")) << t;
    for (const char* plane : {"xy", "xz", "yz"})
      EXPECT_TRUE(fs::is_regular_file(out() / "steps" / t /
                                      (std::string("overlay_crack_") + plane + ".png")))
          << t << plane;
  }
  // track.json last.
  const auto marker = fs::last_write_time(out() / "track.json");
  for (const auto& e : fs::recursive_directory_iterator(out())) {
    if (!e.is_regular_file() || e.path().string().find("/recon/") != std::string::npos) continue;
    EXPECT_LE(fs::last_write_time(e.path()), marker) << e.path();
  }
}

TEST_F(TrackCli, TablesHoldOneRowPerStepInTimeOrder) {
  ASSERT_EQ(first_->exit_code, 0) << first_->err;
  const auto rows = read_json(out() / "time_series.json");
  ASSERT_EQ(rows.size(), kSteps);
  const double times[kSteps] = {0, 2.5, 5, 7.5};  // as given by --times
  for (std::size_t k = 0; k < kSteps; ++k) {
    EXPECT_EQ(rows[k]["step"].get<int>(), static_cast<int>(k));
    EXPECT_DOUBLE_EQ(rows[k]["time"].get<double>(), times[k]);
    EXPECT_EQ(rows[k]["status"].get<std::string>(), "ok");
    EXPECT_EQ(rows[k]["name"].get<std::string>(), "scan_t0" + std::to_string(k) + ".h5");
    // The truth beside each step, from truth.json.
    EXPECT_TRUE(rows[k]["truth_crack_volume_um3"].is_number());
  }
  // CSV: a header and one line per step; the same columns as the JSON.
  const std::string csv = read_text(out() / "time_series.csv");
  EXPECT_EQ(count_lines(csv), kSteps + 1);
  EXPECT_EQ(csv.rfind("step,name,time,time_label,status,", 0), 0u);
  const std::string reg = read_text(out() / "registration.csv");
  EXPECT_EQ(count_lines(reg), kSteps + 1);
  EXPECT_NE(reg.find("error_px"), std::string::npos);  // scored against truth.json's poses
  const auto doc = read_json(out() / "track.json");
  EXPECT_EQ(doc["status"].get<std::string>(), "done");
  EXPECT_EQ(doc["steps"].size(), kSteps);
}

TEST_F(TrackCli, PlotsAndReportOpenAsDocuments) {
  ASSERT_EQ(first_->exit_code, 0) << first_->err;
  std::vector<std::string> svgs;
  for (const auto& e : fs::directory_iterator(out() / "plots"))
    svgs.push_back(e.path().string());
  EXPECT_GE(svgs.size(), 9u);  // crack volume, depth, opening, area, filled; chip volume and
                               // displacement; contact; void fraction; registration residual
  const auto r = run_python(
      "import sys, xml.dom.minidom, html.parser\n"
      "for f in sys.argv[2:]: xml.dom.minidom.parse(f)\n"
      "class P(html.parser.HTMLParser):\n"
      "    def __init__(s): super().__init__(); s.img = []\n"
      "    def handle_starttag(s, t, a):\n"
      "        if t == 'img': s.img.append(dict(a)['src'])\n"
      "p = P(); p.feed(open(sys.argv[1]).read())\n"
      "import os\n"
      "base = os.path.dirname(sys.argv[1])\n"
      "missing = [i for i in p.img if not os.path.exists(os.path.join(base, i))]\n"
      "print(len(p.img), len(missing))\n",
      [&] {
        std::vector<std::string> a = {(out() / "report.html").string()};
        a.insert(a.end(), svgs.begin(), svgs.end());
        return a;
      }());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Three overlays per step, every one a file beside the report.
  EXPECT_EQ(r.out, std::to_string(3 * kSteps) + " 0\n");
  // The time axis in the unit of --times (hours by default).
  EXPECT_NE(read_text(out() / "plots" / "crack_volume.svg").find(">time (h)<"), std::string::npos);
}

TEST_F(TrackCli, RerunReusesReconstructionsAndNeedsOverwrite) {
  ASSERT_EQ(first_->exit_code, 0) << first_->err;
  const auto again = run_xct({"--no-progress", "track", series().string(), "-o", out().string()});
  EXPECT_EQ(again.exit_code, kExitUsage);
  expect_one_error_line(again);
  EXPECT_NE(again.err.find("--overwrite"), std::string::npos);
  const auto recon_time = fs::last_write_time(out() / "recon" / "t02" / "report.json");
  const auto redo =
      run_xct({"--no-progress", "track", series().string(), "-o", out().string(), "--overwrite",
               "--truth", (series() / "truth.json").string(), "--times", "0,2.5,5,7.5"});
  ASSERT_EQ(redo.exit_code, 0) << redo.err;
  EXPECT_NE(redo.err.find("is done; reusing it"), std::string::npos);
  EXPECT_EQ(fs::last_write_time(out() / "recon" / "t02" / "report.json"), recon_time);
}

TEST_F(TrackCli, BadSeriesAreRefusedWithOneLine) {
  ASSERT_EQ(first_->exit_code, 0) << first_->err;
  const fs::path v0 = out() / "recon" / "t00", v1 = out() / "recon" / "t01";
  // One step.
  auto r = run_xct({"track", v0.string(), "-o", (*dir_ / "one").string()});
  EXPECT_EQ(r.exit_code, kExitUsage);
  expect_one_error_line(r);
  // Steps of different shapes: step 1 cut to its first 20 slices.
  const fs::path cut = *dir_ / "cut";
  fs::create_directories(cut);
  for (int z = 0; z < 20; ++z) {
    char name[32];
    std::snprintf(name, sizeof name, "recon_%05d.tiff", z);
    fs::copy_file(v1 / name, cut / name);
  }
  r = run_xct({"track", v0.string(), cut.string(), "-o", (*dir_ / "shape").string()});
  EXPECT_EQ(r.exit_code, kExitBadData);
  expect_one_error_line(r);
  EXPECT_NE(r.err.find("same shape"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(*dir_ / "shape" / "track.json"));
  // Steps of different voxel sizes: the same volume, recorded with another voxel size.
  const fs::path other = *dir_ / "other.h5";
  auto py = run_python(
      "import sys, glob, numpy, tifffile, h5py\n"
      "v = numpy.stack([tifffile.imread(f) for f in sorted(glob.glob(sys.argv[1] + "
      "'/recon_*.tiff'))])\n"
      "with h5py.File(sys.argv[2], 'w') as f:\n"
      "    d = f.create_dataset('/exchange/data', data=v)\n"
      "    d.attrs['voxel_size_um'] = 2.6\n",
      {v1.string(), other.string()});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  r = run_xct({"track", v0.string(), other.string(), "-o", (*dir_ / "voxel").string()});
  EXPECT_EQ(r.exit_code, kExitBadData);
  expect_one_error_line(r);
  EXPECT_NE(r.err.find("voxel size"), std::string::npos) << r.err;
  // A step of another cell altogether (noise): it does not register; the others are tracked,
  // the report marks the step and the exit code says so.
  const fs::path noise = *dir_ / "noise.h5";
  py = run_python(
      "import sys, glob, numpy, tifffile, h5py\n"
      "v = numpy.stack([tifffile.imread(f) for f in sorted(glob.glob(sys.argv[1] + "
      "'/recon_*.tiff'))])\n"
      "r = numpy.random.default_rng(1).normal(v.mean(), v.std(), v.shape).astype('float32')\n"
      "with h5py.File(sys.argv[2], 'w') as f:\n"
      "    d = f.create_dataset('/exchange/data', data=r)\n"
      "    d.attrs['voxel_size_um'] = 5.2\n",
      {v1.string(), noise.string()});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  const fs::path bad = *dir_ / "bad";
  r = run_xct({"track", v0.string(), noise.string(), (out() / "recon" / "t02").string(), "-o",
               bad.string()});
  EXPECT_EQ(r.exit_code, kExitBadData);
  // The log warns as it goes; the run ends with one error line naming the step.
  const std::string last = r.err.substr(r.err.rfind('\n', r.err.size() - 2) + 1);
  EXPECT_EQ(last.rfind("xct: error: 1 of 3 steps failed, first step 1 (noise.h5): registration "
                       "failed",
                       0),
            0u)
      << last;
  ASSERT_TRUE(fs::is_regular_file(bad / "track.json"));
  const auto doc = read_json(bad / "track.json");
  EXPECT_EQ(doc["failed_steps"].get<int>(), 1);
  EXPECT_EQ(doc["steps"][1]["status"].get<std::string>().rfind("registration failed", 0), 0u);
  EXPECT_EQ(doc["steps"][2]["status"].get<std::string>(), "ok");
  const std::string html = read_text(bad / "report.html");
  EXPECT_NE(html.find("registration failed"), std::string::npos);
}

}  // namespace
}  // namespace xct::test
