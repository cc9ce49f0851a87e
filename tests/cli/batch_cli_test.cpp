// `xct batch` as a cron job runs it over a folder of simulated scans, overnight-style: two
// finished scans, one corrupt (truncated), one still being written (held open for writing by
// its writer, an HDF5 lock). Checked: the summary's status of every scan, the exit code, the
// outputs; a rerun skips what is done and picks up what was left; a changed config redoes the
// scans; two batches started at once process each scan once; the inputs are never modified.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/test_support.hpp"

namespace xct::test {
namespace {

namespace fs = std::filesystem;

constexpr int kExitBadData = 65, kExitRetryLater = 75;

// Each scan's status in a summary.json.
std::map<std::string, std::string> statuses(const fs::path& summary) {
  std::map<std::string, std::string> out;
  const auto doc = read_json(summary);
  for (const auto& s : doc["scans"])
    out[s["name"].get<std::string>()] = s["status"].get<std::string>();
  return out;
}

// Whole-file SHA-256 of every file in `folder`.
std::string checksums(const fs::path& folder) {
  const auto r = run_python(
      "import sys, hashlib, os\n"
      "for n in sorted(os.listdir(sys.argv[1])):\n"
      "    print(n, hashlib.sha256(open(os.path.join(sys.argv[1], n), 'rb').read()).hexdigest())\n",
      {folder.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

// How many times a scan's reconstruction ran to its end, from the scan's log (each step's
// command line, then its exit status).
std::size_t recon_runs(const fs::path& log) {
  std::ifstream in(log);
  std::string line;
  std::size_t n = 0;
  bool recon = false;
  while (std::getline(in, line)) {
    if (line.find(" batch: xct --no-progress ") != std::string::npos)
      recon = line.find(" batch: xct --no-progress recon ") != std::string::npos;
    if (recon && line.find(" batch: exit 0") != std::string::npos) ++n;
  }
  return n;
}

class BatchCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    fs::create_directories(night());
    // Small scans of the cell: a band of 8 rows of a 32-wide detector, 61 angles.
    const char* names[] = {"scan_a", "scan_b", "scan_d"};
    int seed = 2;
    for (const char* name : names) {
      const fs::path sim = *dir_ / (std::string("sim_") + name);
      const auto r = simulate_small_scan(sim, 32, 61, seed++);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      fs::copy_file(sim / "scan_t00.h5", night() / (std::string(name) + ".h5"));
    }
    // A corrupt scan: the first 20000 bytes of a good one.
    {
      std::ifstream in(night() / "scan_a.h5", std::ios::binary);
      std::vector<char> head(20000);
      in.read(head.data(), static_cast<std::streamsize>(head.size()));
      std::ofstream(night() / "scan_c.h5", std::ios::binary).write(head.data(), in.gcount());
    }
    std::ofstream(config()) << "[batch]\nsettle = 0\n\n[recon]\nnsino-per-chunk = 4\n";
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static fs::path night() { return *dir_ / "night"; }
  static fs::path config() { return *dir_ / "batch.toml"; }
  static fs::path out() { return *dir_ / "night_batch"; }

  // `xct batch` on the night's folder while `held` is open for writing by another process.
  static CommandResult batch_while_held(const fs::path& held,
                                        const std::vector<std::string>& args) {
    std::vector<std::string> a = {held.string(), XCT_BINARY};
    a.insert(a.end(), args.begin(), args.end());
    const auto r = run_python(
        "import sys, subprocess, h5py\n"
        "with h5py.File(sys.argv[1], 'r+') as f:\n"
        "    p = subprocess.run(sys.argv[2:], capture_output=True, text=True)\n"
        "sys.stdout.write(p.stdout)\n"
        "sys.stderr.write(p.stderr)\n"
        "sys.exit(p.returncode)\n",
        a);
    return r;
  }
  static TempDir* dir_;
};
TempDir* BatchCli::dir_ = nullptr;

TEST_F(BatchCli, OvernightFolderGivesExactlyTheRightSummaryAndExitCodes) {
  // Night 1: scan_d is still being written.
  auto r = batch_while_held(night() / "scan_d.h5",
                            {"batch", night().string(), "--config", config().string()});
  // A corrupt scan is a failure (bad data), which outranks the scan left for later.
  EXPECT_EQ(r.exit_code, kExitBadData) << r.err;
  auto s = statuses(out() / "summary.json");
  EXPECT_EQ(s, (std::map<std::string, std::string>{{"scan_a", "done"},
                                                   {"scan_b", "done"},
                                                   {"scan_c", "failed"},
                                                   {"scan_d", "retry later"}}));
  EXPECT_NE(r.err.find("xct: error: scan_c: recon: incomplete or corrupt HDF5 file"),
            std::string::npos)
      << r.err;
  for (const char* n : {"scan_a", "scan_b"}) {
    EXPECT_TRUE(fs::is_regular_file(out() / n / "recon" / "report.json")) << n;
    EXPECT_TRUE(fs::is_regular_file(out() / n / "batch.json")) << n;
    EXPECT_TRUE(fs::is_regular_file(out() / n / "log.txt")) << n;
  }
  EXPECT_FALSE(fs::exists(out() / "scan_c" / "batch.json"));
  EXPECT_FALSE(fs::exists(out() / "scan_d" / "batch.json"));

  // Night 2, the corrupt scan removed from the folder's view by a manifest, scan_d still open:
  // nothing failed, so the batch says retry later.
  std::ofstream(*dir_ / "manifest.txt") << "# tonight\nnight/scan_a.h5\nnight/scan_d.h5\n";
  r = batch_while_held(night() / "scan_d.h5",
                       {"batch", (*dir_ / "manifest.txt").string(), "--config", config().string(),
                        "-o", out().string()});
  EXPECT_EQ(r.exit_code, kExitRetryLater) << r.err;
  s = statuses(out() / "summary.json");
  EXPECT_EQ(s,
            (std::map<std::string, std::string>{{"scan_a", "skipped"}, {"scan_d", "retry later"}}));

  // Night 3: the writer is done (from here on, only xct touches the folder).
  const std::string before = checksums(night());
  // scan_a and scan_b were done with this input and config: skipped; scan_d is done now;
  // scan_c still fails.
  r = run_xct({"batch", night().string(), "--config", config().string()});
  EXPECT_EQ(r.exit_code, kExitBadData) << r.err;
  s = statuses(out() / "summary.json");
  EXPECT_EQ(
      s,
      (std::map<std::string, std::string>{
          {"scan_a", "skipped"}, {"scan_b", "skipped"}, {"scan_c", "failed"}, {"scan_d", "done"}}));
  // Each good scan's reconstruction ran exactly once over the three nights.
  for (const char* n : {"scan_a", "scan_b", "scan_d"})
    EXPECT_EQ(recon_runs(out() / n / "log.txt"), 1u) << n;

  // Without the corrupt scan every scan is done or skipped: exit 0.
  r = run_xct({"batch", night().string(), "--config", config().string(), "--pattern",
               "scan_a.h5,scan_b.h5,scan_d.h5"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto summary = read_json(out() / "summary.json");
  EXPECT_EQ(summary["counts"]["skipped"].get<int>(), 3);
  EXPECT_EQ(summary["exit_code"].get<int>(), 0);

  // A changed config: the scans are redone.
  const fs::path config2 = *dir_ / "batch2.toml";
  std::ofstream(config2) << "[batch]\nsettle = 0\n\n[recon]\nnsino-per-chunk = 2\n";
  r = run_xct({"batch", night().string(), "--config", config2.string(), "--pattern", "scan_a.h5"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(statuses(out() / "summary.json"),
            (std::map<std::string, std::string>{{"scan_a", "done"}}));
  EXPECT_EQ(recon_runs(out() / "scan_a" / "log.txt"), 2u);

  // The inputs were only read.
  EXPECT_EQ(checksums(night()), before);
}

TEST_F(BatchCli, TwoBatchesAtOnceProcessEachScanOnce) {
  const fs::path root = *dir_ / "overlap";
  const auto r = run_python(
      "import sys, subprocess\n"
      "xct, night, cfg, root = sys.argv[1:5]\n"
      "cmd = [xct, 'batch', night, '--config', cfg, '-o', root, '--pattern', "
      "'scan_a.h5,scan_b.h5,scan_d.h5']\n"
      "ps = [subprocess.Popen(cmd + ['--summary', root + '/summary%d.json' % i], "
      "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in (1, 2)]\n"
      "print(*[p.wait() for p in ps])\n",
      {XCT_BINARY, night().string(), config().string(), root.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "0 0\n");
  const auto s1 = statuses(root / "summary1.json"), s2 = statuses(root / "summary2.json");
  for (const char* n : {"scan_a", "scan_b", "scan_d"}) {
    EXPECT_EQ(recon_runs(root / n / "log.txt"), 1u) << n;
    // Done by one batch, skipped (locked, or already done) by the other.
    EXPECT_EQ((s1.at(n) == "done") + (s2.at(n) == "done"), 1) << n;
  }
}

TEST_F(BatchCli, ALockedScanIsLeftToTheBatchHoldingIt) {
  // Another batch holds scan_b's lock while this one runs: scan_b is skipped, not processed.
  const fs::path root = *dir_ / "locked";
  fs::create_directories(root / "scan_b");
  const auto r = run_python(
      "import sys, subprocess, fcntl, json\n"
      "xct, night, cfg, root = sys.argv[1:5]\n"
      "with open(root + '/scan_b/.lock', 'w') as f:\n"
      "    fcntl.flock(f, fcntl.LOCK_EX)\n"
      "    p = subprocess.run([xct, 'batch', night, '--config', cfg, '-o', root, '--pattern', "
      "'scan_a.h5,scan_b.h5'], capture_output=True)\n"
      "s = json.load(open(root + '/summary.json'))\n"
      "print(p.returncode, *[(x['name'], x['status'], x['reason']) for x in s['scans']])\n",
      {XCT_BINARY, night().string(), config().string(), root.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "0 ('scan_a', 'done', '') ('scan_b', 'skipped', 'being processed by another batch "
            "(locked)')\n");
  EXPECT_FALSE(fs::exists(root / "scan_b" / "recon"));
}

TEST_F(BatchCli, UsageErrorsAreOneLine) {
  auto r = run_xct({"batch", night().string()});  // no --config
  EXPECT_EQ(r.exit_code, 2);
  r = run_xct({"batch", night().string(), "--config", config().string(), "--steps", "segment"});
  EXPECT_EQ(r.exit_code, 2);
  expect_one_error_line(r);
  r = run_xct({"batch", (*dir_ / "nowhere").string(), "--config", config().string()});
  EXPECT_EQ(r.exit_code, 66);
  expect_one_error_line(r);
}

}  // namespace
}  // namespace xct::test
