// A full disk: the file-size limit (RLIMIT_FSIZE, with SIGXFSZ ignored, so that a write past it
// fails with EFBIG as on a full file system) stops `xct recon` and `xct batch` part way through
// their outputs. Each must exit 74 with one error line, leave nothing that looks finished (no
// output folder it created), and leave its input as it was.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/test_support.hpp"

namespace xct::test {
namespace {

namespace fs = std::filesystem;

constexpr int kOutputIO = 74;

class DiskFull : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const auto r = simulate_small_scan(*dir_ / "sim", 48, 121, 2);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    fs::create_directories(*dir_ / "night");
    fs::copy_file(*dir_ / "sim" / "scan_t00.h5", *dir_ / "night" / "scan_a.h5");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  // `xct ARGS...` with files limited to `kib` KiB.
  static CommandResult limited(int kib, const std::vector<std::string>& args) {
    std::string cmd = "trap '' XFSZ; ulimit -f " + std::to_string(kib) + "; exec";
    std::vector<std::string> argv = {"bash",          "-c", cmd + " \"$@\"", "xct", XCT_BINARY,
                                     "--no-progress", "-q"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
  }
  static std::string checksum(const fs::path& file) {
    const auto r = run_python(
        "import sys, hashlib; print(hashlib.sha256(open(sys.argv[1], 'rb').read()).hexdigest())",
        {file.string()});
    return r.out;
  }
  static TempDir* dir_;
};
TempDir* DiskFull::dir_ = nullptr;

// Each slice of this scan is a 9 KiB TIFF; the HDF5 volume is 74 KiB.
TEST_F(DiskFull, ReconStopsWithOutputErrorAndLeavesNothing) {
  const fs::path scan = *dir_ / "sim" / "scan_t00.h5";
  const std::string before = checksum(scan);
  for (const std::string format : {"tiff", "h5"}) {
    const fs::path out = *dir_ / ("recon_" + format);
    const auto r = limited(format == "tiff" ? 4 : 40, {"recon", scan.string(), "--out",
                                                       out.string(), "--save-format", format});
    EXPECT_EQ(r.exit_code, kOutputIO) << format << "\n" << r.err;
    expect_one_error_line(r);
    EXPECT_FALSE(fs::exists(out)) << format;  // it made the folder, and took it away again
  }
  EXPECT_EQ(checksum(scan), before);
}

TEST_F(DiskFull, BatchRecordsTheScanAsFailedWithTheOutputError) {
  const fs::path input = *dir_ / "night" / "scan_a.h5";
  const std::string before = checksum(input);
  const fs::path cfg = *dir_ / "batch.toml";
  { std::ofstream(cfg) << "[batch]\nsettle = 0\n"; }
  const fs::path out = *dir_ / "batch_out";
  const auto r = limited(
      4, {"batch", (*dir_ / "night").string(), "--config", cfg.string(), "-o", out.string()});
  EXPECT_EQ(r.exit_code, kOutputIO) << r.err;
  const auto summary = read_json(out / "summary.json");
  ASSERT_EQ(summary["scans"].size(), 1u);
  EXPECT_EQ(summary["scans"][0]["status"].get<std::string>(), "failed");
  EXPECT_EQ(summary["scans"][0]["exit_code"].get<int>(), kOutputIO);
  EXPECT_FALSE(fs::exists(out / "scan_a" / "batch.json"));
  EXPECT_FALSE(fs::exists(out / "scan_a" / "recon" / "report.json"));
  EXPECT_EQ(checksum(input), before);
}

}  // namespace
}  // namespace xct::test
