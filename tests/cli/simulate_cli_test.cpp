// `xct simulate` from the command line: the files it writes, exit codes for bad parameters,
// and results that do not depend on the thread count.
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

const std::vector<std::string> kSmall = {
    "--cols",   "48", "--rows",  "16", "--cell-height", "48", "--first-row",  "18",
    "--angles", "21", "--flats", "2",  "--darks",       "2",  "--no-progress"};

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

TEST(SimulateCli, WritesScansTruthAndAReadableSeries) {
  TempDir dir;
  const fs::path out = dir / "series";
  // A 48-pixel-wide view leaves room for half a pixel of drift between steps.
  const auto r =
      run_xct(with({"simulate", out.string(), "--time-steps", "3", "--drift", "0.5"}, kSmall));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* f : {"scan_t00.h5", "scan_t01.h5", "scan_t02.h5", "truth_t00.h5", "truth_t02.h5",
                        "truth.json"}) {
    EXPECT_TRUE(fs::exists(out / f)) << f;
  }
  // No temporary files are left behind.
  for (const auto& e : fs::directory_iterator(out)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
  }
  // The scans pass xct's own validation: on a detector 96 wide, the dead column is under 1 % of
  // the pixels, which check reports as a warning, not an error.
  const fs::path wide = dir / "wide";
  ASSERT_EQ(
      run_xct({"simulate", wide.string(), "--cols", "96", "--rows", "16", "--cell-height", "96",
               "--first-row", "40", "--angles", "21", "--truth", "none", "--no-progress"})
          .exit_code,
      0);
  const auto check = run_xct({"check", "--no-progress", (wide / "scan_t00.h5").string()});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  // h5py reads the truth: uint8 labels and float32 attenuation on the n_cols^2 x n_rows grid.
  const auto py = run_python(
      "import h5py, sys\n"
      "f = h5py.File(sys.argv[1], 'r')\n"
      "print(f['labels'].dtype, f['labels'].shape, f['attenuation'].dtype, "
      "f['attenuation'].attrs['units'], int(f['labels'][...].max()))\n",
      {(out / "truth_t02.h5").string()});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  EXPECT_EQ(py.out, "uint8 (16, 48, 48) float32 1/cm 8\n");  // 8: the chip, cut off at the end
}

TEST(SimulateCli, TruthLiesOnTheGridAReconstructionUses) {
  // A plain filtered back-projection (numpy, Algotom's orientation: slice pixel (y, x) at
  // detector column (x - c0) cos(theta) - (y - c0) sin(theta) + centre, c0 = (n - 1) / 2) of
  // a noise-free scan matches the attenuation truth of the same slice; the same image
  // mirrored or transposed does not.
  TempDir dir;
  const auto r = run_xct({"simulate",
                          dir.path().string(),
                          "--cols",
                          "64",
                          "--rows",
                          "12",
                          "--cell-height",
                          "64",
                          "--first-row",
                          "30",
                          "--angles",
                          "181",
                          "--ideal",
                          "--dtype",
                          "float32",
                          "--progress",
                          "1",
                          "--axis-offset",
                          "0.8",
                          "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto py = run_python(R"(
import sys, json, h5py, numpy as np
d = sys.argv[1]
meta = json.load(open(d + '/truth.json'))
centre = meta['scan']['centre_of_rotation']
row = int(meta['time_steps'][0]['preview_row'])
f = h5py.File(d + '/scan_t00.h5', 'r')
p = f['exchange/data'][:, row, :].astype(float)
flat = f['exchange/data_white'][:, row, :].mean(0)
dark = f['exchange/data_dark'][:, row, :].mean(0)
theta = np.deg2rad(f['exchange/theta'][...])
sino = -np.log((p - dark) / (flat - dark))
n = sino.shape[1]
ramp = np.abs(np.fft.fftfreq(4 * n))
filt = np.real(np.fft.ifft(np.fft.fft(sino, 4 * n, axis=1) * ramp, axis=1))[:, :n]
c0 = (n - 1) / 2
x, y = np.meshgrid(np.arange(n) - c0, np.arange(n) - c0)
rec = np.zeros((n, n))
for k, t in enumerate(theta):
    u = x * np.cos(t) - y * np.sin(t) + centre
    rec += np.interp(u.ravel(), np.arange(n), filt[k], left=0, right=0).reshape(n, n)
truth = h5py.File(d + '/truth_t00.h5', 'r')['attenuation'][row]
inner = x**2 + y**2 < (0.45 * n)**2
def misfit(ref):
    a = (rec[inner] @ ref[inner]) / (rec[inner] @ rec[inner])
    return np.sqrt(np.mean((a * rec[inner] - ref[inner])**2))
good = misfit(truth)
worst_other = min(misfit(truth[:, ::-1]), misfit(truth[::-1, :]), misfit(truth.T))
print(f'{good / truth[inner].std():.3f} {worst_other / good:.2f}')
)",
                             {dir.path().string()});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  double relative = 0, ratio = 0;
  std::istringstream(py.out) >> relative >> ratio;
  EXPECT_LT(relative, 0.25) << py.out;  // misfit within a quarter of the slice's contrast
  EXPECT_GT(ratio, 2.0) << py.out;      // and any mirror or transpose fits at least 2x worse
}

TEST(SimulateCli, TiffScanOpensWithXctInfo) {
  TempDir dir;
  const auto r = run_xct(
      with({"simulate", dir.path().string(), "--format", "tiff", "--truth", "none"}, kSmall));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto info = run_xct({"info", (dir / "scan_t00").string()});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("21 from 0 to 180 deg"), std::string::npos) << info.out;
  EXPECT_FALSE(fs::exists(dir / "truth_t00.h5"));
}

TEST(SimulateCli, NexusScanReadsInH5pyAsNxtomo) {
  TempDir dir;
  const auto r = run_xct(with({"simulate", dir.path().string(), "--format", "nexus",
                               "--flats-after", "2", "--truth", "none"},
                              kSmall));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto py = run_python(
      "import h5py, sys\n"
      "f = h5py.File(sys.argv[1], 'r')\n"
      "e = f['entry']\n"
      "key = list(e['instrument/detector/image_key'][...])\n"
      "print(e.attrs['NX_class'], e['definition'][()].decode(), e['data/data'].shape, "
      "key == [2] * 2 + [1] * 2 + [0] * 21 + [1] * 2, e['sample/rotation_angle'][25])\n",
      {(dir / "scan_t00.nxs").string()});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  EXPECT_EQ(py.out, "NXentry NXtomo (27, 16, 48) True 180.0\n");
}

TEST(SimulateCli, ConfigSetsOptionsAndFlagsOverrideIt) {
  TempDir dir;
  const fs::path cfg = dir / "sim.toml";
  std::ofstream(cfg) << "[simulate]\ncols = 48\nrows = 16\nangles = 31\nno-noise = true\n"
                        "axis-offset = -0.25\n";
  const auto r = run_xct({"simulate", (dir / "s").string(), "--config", cfg.string(), "--angles",
                          "21", "--truth", "none", "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(dir / "s" / "truth.json");
  const auto doc = nlohmann::json::parse(in);
  EXPECT_EQ(doc["scan"]["n_cols"], 48);        // from the config
  EXPECT_EQ(doc["scan"]["n_angles"], 21);      // the flag wins over the config's 31
  EXPECT_EQ(doc["detector"]["noise"], false);  // a switch set in the config
  EXPECT_DOUBLE_EQ(doc["scan"]["centre_of_rotation"].get<double>(), 23.5 - 0.25);

  std::ofstream(dir / "bad.toml") << "[simulate]\ncolumns = 48\n";
  const auto bad =
      run_xct({"simulate", (dir / "b").string(), "--config", (dir / "bad.toml").string()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown key [simulate] columns"), std::string::npos) << bad.err;
}

TEST(SimulateCli, ConfigPresetsHoldOnlyKnownKeys) {
  // Each preset, shrunk by flags to a tiny scan, runs: every key in it is a known flag.
  for (const char* preset : {"simulate-series.toml", "simulate-beamline.toml"}) {
    TempDir dir;
    const auto r = run_xct({"simulate", (dir / "s").string(), "--config",
                            (source_dir() / "configs" / preset).string(), "--cols", "48", "--rows",
                            "16", "--cell-height", "48", "--first-row", "16", "--angles", "11",
                            "--time-steps", "1", "--drift", "0", "--no-progress"});
    EXPECT_EQ(r.exit_code, 0) << preset << ": " << r.err;
  }
}

TEST(SimulateCli, ResultsDoNotDependOnTheThreadCount) {
  TempDir one, two;
  for (const auto& [dir, threads] : {std::pair{&one, "1"}, std::pair{&two, "2"}}) {
    std::vector<std::string> cmd = {"env", std::string("OMP_NUM_THREADS=") + threads, XCT_BINARY,
                                    "simulate", (dir->path() / "s").string()};
    cmd = with(cmd, kSmall);
    const auto r = run_command(cmd);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  EXPECT_TRUE(read_binary(one / "s/scan_t00.h5") == read_binary(two / "s/scan_t00.h5"));
}

TEST(SimulateCli, BadParametersExitTwoWithOneLine) {
  TempDir dir;
  const std::string out = (dir / "x").string();
  const std::vector<std::vector<std::string>> bad = {
      {"--cols", "-5"},
      {"--angles", "0"},
      {"--crack-depth", "0.9"},   // deeper than the pellet
      {"--crack-start", "0.35"},  // outside the pellet's face
      {"--interface-voids", "0.7"},
      {"--blur", "-1"},
      {"--first-row", "40"},  // the detector would look past the cell
      {"--format", "png"},
      {"--rows", "20000000"},  // more memory than any machine here has
  };
  for (const auto& extra : bad) {
    const auto r =
        run_xct(with({"simulate", out, "--cols", "48", "--angles", "11", "--no-progress"}, extra));
    EXPECT_EQ(r.exit_code, 2) << extra[0] << " " << extra[1] << ": " << r.err;
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
    EXPECT_FALSE(fs::exists(dir / "x" / "scan_t00.h5"));
  }
}

TEST(SimulateCli, ExistingOutputsNeedOverwriteAndUnwritableFolderIs74) {
  TempDir dir;
  const std::string out = (dir / "s").string();
  ASSERT_EQ(run_xct(with({"simulate", out, "--truth", "none"}, kSmall)).exit_code, 0);
  const auto again = run_xct(with({"simulate", out, "--truth", "none"}, kSmall));
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("--overwrite"), std::string::npos) << again.err;
  EXPECT_EQ(run_xct(with({"simulate", out, "--truth", "none", "--overwrite"}, kSmall)).exit_code,
            0);
  // A regular file where the output folder should be.
  std::ofstream(dir / "file") << "x";
  const auto blocked = run_xct(with({"simulate", (dir / "file").string()}, kSmall));
  EXPECT_EQ(blocked.exit_code, 74) << blocked.err;
}

// The command in sample_data/README.md, as the arguments after "xct".
std::vector<std::string> sample_recipe() {
  std::ifstream in(source_dir() / "sample_data" / "README.md");
  std::string line;
  while (std::getline(in, line)) {
    const auto at = line.find("build/cli/xct simulate sample_data/cell_series");
    if (at != 0) continue;
    std::vector<std::string> args;
    std::string word;
    std::istringstream words(line.substr(std::string("build/cli/xct ").size()));
    while (words >> word)
      args.push_back(word);
    return args;
  }
  return {};
}

TEST(SimulateCli, SampleSeriesMatchesItsRecipe) {
  const fs::path sample = source_dir() / "sample_data" / "cell_series";
  std::vector<std::string> args = sample_recipe();
  ASSERT_GT(args.size(), 3u) << "no recipe in sample_data/README.md";
  // truth.json records the command that made the files: the README's, word for word.
  std::ifstream json_in(sample / "truth.json");
  const auto committed = nlohmann::json::parse(json_in);
  std::string recipe = "xct";
  for (const auto& a : args)
    recipe += " " + a;
  EXPECT_EQ(committed["command"].get<std::string>(), recipe);

  // Regenerate elsewhere: the same bytes, except where the command (its folder) is recorded.
  TempDir dir;
  args[1] = (dir / "cell_series").string();
  const auto r = run_xct(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (int t = 0; t < 4; ++t) {
    const std::string n = std::to_string(t);
    for (const std::string& f : {"scan_t0" + n + ".h5", "previews/truth_t0" + n + ".png",
                                 "previews/sinogram_t0" + n + ".png"}) {
      EXPECT_TRUE(read_binary(sample / f) == read_binary(dir / "cell_series" / f)) << f;
    }
  }
  std::uintmax_t total = 0;
  for (const auto& e : fs::recursive_directory_iterator(sample)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  EXPECT_LE(total, 8'000'000u);  // the series stays under 8 MB
  std::ifstream again_in(dir / "cell_series" / "truth.json");
  auto again = nlohmann::json::parse(again_in);
  auto committed_rest = committed;
  again.erase("command");
  committed_rest.erase("command");
  EXPECT_EQ(again, committed_rest);
  const auto py = run_python(
      "import sys, h5py, numpy as np\n"
      "for t in range(4):\n"
      "    a = h5py.File(f'{sys.argv[1]}/truth_t0{t}.h5', 'r')['labels'][...]\n"
      "    b = h5py.File(f'{sys.argv[2]}/truth_t0{t}.h5', 'r')['labels'][...]\n"
      "    assert np.array_equal(a, b), t\n"
      "print('same')\n",
      {sample.string(), (dir / "cell_series").string()});
  EXPECT_EQ(py.out, "same\n") << py.err;
}

}  // namespace
}  // namespace xct::test
