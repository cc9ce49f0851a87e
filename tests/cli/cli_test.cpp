// The xct binary end to end: exit codes, one-line errors, and `info` / `check` on every input
// kind. Files other than our own writers' are made with h5py and tifffile, so the readers are
// also checked against independent writers.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/sample_scan.hpp"
#include "tests/support/test_support.hpp"

namespace xct::test {
namespace {

namespace fs = std::filesystem;

// Exactly one line on stderr, starting with "xct: error:".
std::string config_path(const std::string& name) {
  return (source_dir() / "configs" / name).string();
}

TEST(Cli, VersionAndHelp) {
  const auto v = run_xct({"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out.rfind("xct 0.", 0), 0u) << v.out;
  const auto h = run_xct({"help"});
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("info"), std::string::npos);
  EXPECT_NE(h.out.find("check"), std::string::npos);
  const auto hi = run_xct({"help", "check"});
  EXPECT_EQ(hi.exit_code, 0);
  EXPECT_NE(hi.out.find("--quick"), std::string::npos);
  EXPECT_EQ(run_xct({"help", "no-such-command"}).exit_code, 2);
}

TEST(Cli, UsageErrorsExit2WithOneLine) {
  EXPECT_EQ(run_xct({}).exit_code, 2);
  const auto no_input = run_xct({"info"});
  EXPECT_EQ(no_input.exit_code, 2);
  expect_one_error_line(no_input);
  const auto bad_flag = run_xct({"info", "--no-such-flag", "x"});
  EXPECT_EQ(bad_flag.exit_code, 2);
  expect_one_error_line(bad_flag);
  TempDir dir;
  write_sample_scan(dir / "scan.h5");
  const auto bad_lines = run_xct({"info", "--angle-lines", "9-3", (dir / "scan.h5").string()});
  EXPECT_EQ(bad_lines.exit_code, 2);
  expect_one_error_line(bad_lines);
  std::ofstream(dir / "typo.toml") << "[input]\nlayuot = \"tiff\"\n";
  const auto typo =
      run_xct({"info", "--config", (dir / "typo.toml").string(), (dir / "scan.h5").string()});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("layuot"), std::string::npos) << "the misspelt key is named";
  expect_one_error_line(typo);
}

TEST(Cli, MissingInputExits66) {
  const auto r = run_xct({"info", "/nonexistent/scan.h5"});
  EXPECT_EQ(r.exit_code, 66);
  expect_one_error_line(r);
  EXPECT_EQ(run_xct({"check", "/nonexistent/folder"}).exit_code, 66);
}

TEST(Cli, DataExchangeInfoAndCheck) {
  TempDir dir;
  const SampleScan s = write_sample_scan(dir / "scan.h5");
  const auto info = run_xct({"info", (dir / "scan.h5").string()});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("data-exchange"), std::string::npos);
  EXPECT_NE(info.out.find("121 x 24 x 64 uint16"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("180 deg with both end points"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("1.3 um"), std::string::npos) << info.out;

  const auto js = run_xct({"info", "--json", (dir / "scan.h5").string()});
  ASSERT_EQ(js.exit_code, 0);
  const auto j = nlohmann::json::parse(js.out);
  EXPECT_EQ(j["projections"]["shape"], nlohmann::json({121, 24, 64}));
  EXPECT_EQ(j["flats"]["shape"][0], 4);
  EXPECT_EQ(j["darks"]["shape"][0], 2);
  EXPECT_EQ(j["angles"]["count"], 121);
  // The float32 volume of a 24-row, 64-column scan: 24 * 64 * 64 * 4 bytes.
  EXPECT_EQ(j["memory_bytes"]["volume"], 24 * 64 * 64 * 4);

  const auto check = run_xct({"check", "--no-progress", (dir / "scan.h5").string()});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_NE(check.out.find("ok:"), std::string::npos);
  EXPECT_NE(check.out.find("projections read: 121"), std::string::npos) << check.out;
}

// A Data Exchange file from h5py with several defects, each of which must give one line.
TEST(Cli, CheckListsEveryProblemOnItsOwnLine) {
  TempDir dir;
  const std::string py = R"(
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "w") as f:
    d = np.ones((10, 8, 12), np.float32)
    d[3, 2, 5] = np.nan
    d[7, 0, 0] = np.inf
    f["/exchange/data"] = d
    f["/exchange/data_white"] = np.full((2, 8, 12), 500, np.uint16)   # constant flats
    f["/exchange/data_dark"] = np.zeros((1, 8, 10), np.uint16)       # wrong width
    f["/exchange/theta"] = np.linspace(0, 180, 9)                    # 9 angles, 10 frames
)";
  ASSERT_EQ(run_python(py, {(dir / "bad.h5").string()}).exit_code, 0);
  const auto r = run_xct({"check", "--no-progress", (dir / "bad.h5").string()});
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_NE(r.out.find("darks have frames of 8 x 10"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("angle count 9 differs from projection count 10"), std::string::npos);
  EXPECT_NE(r.out.find("flat frame 0 is constant"), std::string::npos);
  EXPECT_NE(r.out.find("flat frame 1 is constant"), std::string::npos);
  EXPECT_NE(r.out.find("projections hold 2 NaN or infinite values"), std::string::npos) << r.out;
  // Five problems, five lines, each starting with "error:".
  EXPECT_EQ(count_lines(r.out), 5u) << r.out;
  for (std::size_t pos = 0; pos < r.out.size(); pos = r.out.find('\n', pos) + 1) {
    EXPECT_EQ(r.out.compare(pos, 6, "error:"), 0) << r.out.substr(pos);
  }
}

TEST(Cli, RadianAnglesAreAWarningNotAFailure) {
  TempDir dir;
  const std::string py = R"(
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "w") as f:
    rng = np.random.default_rng(1)
    f["/exchange/data"] = rng.integers(1000, 2000, (16, 4, 6), dtype=np.uint16)
    f["/exchange/data_white"] = rng.integers(3000, 4000, (2, 4, 6), dtype=np.uint16)
    f["/exchange/data_dark"] = np.full((2, 4, 6), 10, np.uint16)
    f["/exchange/theta"] = np.linspace(0, np.pi, 16)   # radians where degrees belong
)";
  ASSERT_EQ(run_python(py, {(dir / "rad.h5").string()}).exit_code, 0);
  const auto r = run_xct({"check", "--no-progress", (dir / "rad.h5").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("warning: angles span 0 to 3.14"), std::string::npos) << r.out;
}

TEST(Cli, TruncatedHdf5Exits65WithOneLine) {
  TempDir dir;
  write_sample_scan(dir / "scan.h5");
  fs::resize_file(dir / "scan.h5", fs::file_size(dir / "scan.h5") / 2);
  for (const char* cmd : {"info", "check"}) {
    const auto r = run_xct({cmd, (dir / "scan.h5").string()});
    EXPECT_EQ(r.exit_code, 65) << cmd << ": " << r.err;
    expect_one_error_line(r);
  }
}

// One byte changed in the committed sample scan (offset 1896, a value in the HDF5 object
// headers, from 1 to 53) makes the HDF5 library itself crash with a segmentation fault while
// xct opens the file. xct opens HDF5 files first in a child process, so it reports a corrupt
// file instead of crashing.
TEST(Cli, CorruptHdf5ThatCrashesTheLibraryExits65) {
  TempDir dir;
  const fs::path bad = dir / "crash.h5";
  fs::copy_file(source_dir() / "sample_data" / "tiny_dx.h5", bad);
  {
    std::fstream f(bad, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(1896);
    char before = 0;
    f.get(before);
    ASSERT_EQ(before, 1) << "sample_data/tiny_dx.h5 changed: find a new crashing byte";
    f.seekp(1896);
    f.put(53);
  }
  for (const char* cmd : {"info", "check"}) {
    const auto r = run_xct({cmd, bad.string()});
    EXPECT_EQ(r.exit_code, 65) << cmd << ": " << r.err;
    expect_one_error_line(r);
    EXPECT_NE(r.err.find("the HDF5 library crashed"), std::string::npos) << r.err;
  }
}

TEST(Cli, EmptyFolderExits65) {
  TempDir dir;
  fs::create_directory(dir / "empty");
  const auto r = run_xct({"info", (dir / "empty").string()});
  EXPECT_EQ(r.exit_code, 65);
  expect_one_error_line(r);
}

TEST(Cli, RealDiamondTiffScanWithItsPreset) {
  const fs::path scan = real_data_dir() / "dls-24737-tiff";
  ASSERT_TRUE(fs::is_directory(scan)) << scan;
  const auto info = run_xct({"info", "--config", config_path("dls-24737-tiff.toml"), scan});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("91 x 135 x 160 uint16"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("1 x 135 x 160 float32"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("91 from -88.2 to 91.8 deg"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("180 deg with both end points"), std::string::npos) << info.out;

  // Pixel (0,0) has flat = dark = 0: a dead pixel, reported as a warning, not a failure.
  const auto check =
      run_xct({"check", "--no-progress", "--config", config_path("dls-24737-tiff.toml"), scan});
  EXPECT_EQ(check.exit_code, 0) << check.out;
  EXPECT_NE(check.out.find("have flat - dark <= 0"), std::string::npos) << check.out;

  // Without the line selection all 111 lines of angles.txt are read: check must fail.
  const auto auto_angles = run_xct({"check", "--no-progress", "--quick", scan});
  EXPECT_EQ(auto_angles.exit_code, 65);
  EXPECT_NE(auto_angles.out.find("angle count 111 differs from projection count 91"),
            std::string::npos)
      << auto_angles.out;
  // The same selection given by flags instead of the config.
  const auto flags =
      run_xct({"info", "--angles-file", "angles.txt", "--angle-lines", "11-101", scan});
  EXPECT_NE(flags.out.find("91 from -88.2 to 91.8 deg"), std::string::npos) << flags.out;
}

TEST(Cli, RealNeutronSinogramAsASingleTiff) {
  const fs::path sino = real_data_dir() / "sarepy-neutron" / "sinogram_360_neutron_image.tif";
  const auto info = run_xct({"info", "--angle-range", "0,360", "--no-endpoint", sino});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  // One page of 459 x 503 read as one frame: the file is a sinogram, not a projection stack.
  EXPECT_NE(info.out.find("1 x 459 x 503 uint16"), std::string::npos) << info.out;
  const auto js = run_xct({"info", "--json", sino});
  const auto j = nlohmann::json::parse(js.out);
  EXPECT_TRUE(j["angles"]["count"] == 0) << "a single TIFF records no angles";
}

TEST(Cli, TiffFoldersPreset) {
  TempDir dir;
  const std::string py = R"(
import sys, os, numpy as np, tifffile
root = sys.argv[1]
rng = np.random.default_rng(3)
for sub, n, lo, hi in (("tomo", 12, 900, 1200), ("flats", 3, 3000, 3500), ("darks", 2, 90, 110)):
    os.makedirs(os.path.join(root, sub))
    for i in range(n):
        tifffile.imwrite(os.path.join(root, sub, "%s_%04d.tif" % (sub, i)),
                         rng.integers(lo, hi, (6, 10), dtype=np.uint16))
)";
  ASSERT_EQ(run_python(py, {dir.path().string()}).exit_code, 0);
  const auto info = run_xct({"info", "--config", config_path("tiff-folders.toml"), dir.path()});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("12 x 6 x 10 uint16"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("3 x 6 x 10 uint16"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("180 deg with both end points"), std::string::npos) << info.out;
  const auto check =
      run_xct({"check", "--no-progress", "--config", config_path("tiff-folders.toml"), dir.path()});
  EXPECT_EQ(check.exit_code, 0) << check.out;
}

TEST(Cli, NexusPresetOnADiamondStyleFile) {
  TempDir dir;
  const std::string py = R"(
import sys, h5py, numpy as np
keys = np.array([2, 2, 1, 1] + [0] * 10 + [1, 1, 3], np.uint8)
with h5py.File(sys.argv[1], "w") as f:
    rng = np.random.default_rng(5)
    data = rng.integers(100, 4000, (len(keys), 5, 7), dtype=np.uint16)
    data[keys == 1] += 4000
    f["/entry/imaging/data"] = data
    f["/entry/instrument/imaging/image_key"] = keys
    f["/entry/imaging_sum/gts_theta_value"] = np.linspace(0, 180, len(keys))
    f["/entry/other/stack"] = np.zeros((3, 2, 2), np.uint16)
)";
  ASSERT_EQ(run_python(py, {(dir / "k11.nxs").string()}).exit_code, 0);
  for (const bool preset : {false, true}) {
    std::vector<std::string> args{"info"};
    if (preset) args.insert(args.end(), {"--config", config_path("nexus-diamond.toml")});
    args.push_back((dir / "k11.nxs").string());
    const auto info = run_xct(args);
    ASSERT_EQ(info.exit_code, 0) << info.err;
    EXPECT_NE(info.out.find("nexus"), std::string::npos);
    EXPECT_NE(info.out.find("10 x 5 x 7 uint16"), std::string::npos) << info.out;
    EXPECT_NE(info.out.find("4 x 5 x 7 uint16"), std::string::npos) << "flats: 2 before, 2 after";
    EXPECT_NE(info.out.find("2 x 5 x 7 uint16"), std::string::npos) << "darks";
  }
}

TEST(Cli, AreaDetectorPresetWithOneFilePerRole) {
  TempDir dir;
  const std::string py = R"(
import sys, os, h5py, numpy as np
root = sys.argv[1]
rng = np.random.default_rng(7)
for name, n, lo, hi in (("proj.h5", 20, 900, 1200), ("flats.h5", 5, 3000, 3500),
                        ("darks.h5", 3, 90, 110)):
    with h5py.File(os.path.join(root, name), "w") as f:
        f["/entry/data/data"] = rng.integers(lo, hi, (n, 4, 9), dtype=np.uint16)
)";
  ASSERT_EQ(run_python(py, {dir.path().string()}).exit_code, 0);
  const auto info = run_xct(
      {"info", "--config", config_path("nsls2-areadetector.toml"), (dir / "proj.h5").string()});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("hdf5-custom"), std::string::npos);
  EXPECT_NE(info.out.find("20 x 4 x 9 uint16"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("180 deg without the end point"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("0.65 um"), std::string::npos) << info.out;
  const auto check = run_xct({"check", "--no-progress", "--config",
                              config_path("nsls2-areadetector.toml"), (dir / "proj.h5").string()});
  EXPECT_EQ(check.exit_code, 0) << check.out;
  // A role file that is absent: input missing, naming the file.
  fs::remove(dir / "darks.h5");
  const auto missing = run_xct(
      {"info", "--config", config_path("nsls2-areadetector.toml"), (dir / "proj.h5").string()});
  EXPECT_EQ(missing.exit_code, 66);
  EXPECT_NE(missing.err.find("darks.h5"), std::string::npos) << missing.err;
}

TEST(Cli, SampleDataScanIsCleanAndMatchesItsRecipe) {
  const fs::path sample = source_dir() / "sample_data" / "tiny_dx.h5";
  ASSERT_TRUE(fs::exists(sample));
  const auto check = run_xct({"check", "--no-progress", sample.string()});
  EXPECT_EQ(check.exit_code, 0) << check.out;
  // The committed file is what make_sample_scan() writes today: regenerate and compare bytes
  // of the data through h5py (file bytes differ by timestamps).
  TempDir dir;
  write_sample_scan(dir / "again.h5");
  const std::string py = R"(
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
for k in ("data", "data_white", "data_dark", "theta"):
    assert np.array_equal(a["exchange"][k][...], b["exchange"][k][...]), k
print("same")
)";
  const auto r = run_python(py, {sample.string(), (dir / "again.h5").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "same\n");
}

}  // namespace
}  // namespace xct::test
