// Fault injection: `xct recon` and `xct batch` killed with SIGKILL at random moments (20 seeds
// each). After every kill nothing may look finished that is not (a reconstruction folder with
// report.json, a scan with batch.json, must hold exactly the uninterrupted run's slices), and a
// rerun must complete and give the uninterrupted run's slices byte for byte.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/support/test_support.hpp"

namespace xct::test {
namespace {

constexpr int kTrials = 20;

// The driver: Python controls the processes (start, sleep a random time drawn from the seed,
// SIGKILL, rerun) and compares the files; it prints one line per trial and "ok N" at the end.
const char* const kDriver = R"PY(
import sys, os, subprocess, time, random, glob, shutil, json
xct, work, what, trials = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def slices(folder):
    return {os.path.basename(p): open(p, 'rb').read()
            for p in sorted(glob.glob(os.path.join(folder, 'recon_*.tiff')))}
def run(args):
    return subprocess.run([xct, '--no-progress', '-q'] + args, capture_output=True, text=True)
scan = os.path.join(work, 'sim', 'scan_t00.h5')
if what == 'recon':
    cmd = lambda out: ['recon', scan, '--out', out, '--nsino-per-chunk', '2']
    ref_dir = os.path.join(work, 'ref_recon')
    t0 = time.time(); r = run(cmd(ref_dir)); span = time.time() - t0
    assert r.returncode == 0, r.stderr
    ref = slices(ref_dir)
    assert len(ref) > 0
else:
    cfg = os.path.join(work, 'batch.toml')
    open(cfg, 'w').write('[batch]\nsettle = 0\n[recon]\nnsino-per-chunk = 2\n')
    cmd = lambda out: ['batch', os.path.join(work, 'night'), '--config', cfg, '-o', out]
    ref_dir = os.path.join(work, 'ref_batch')
    t0 = time.time(); r = run(cmd(ref_dir)); span = time.time() - t0
    assert r.returncode == 0, r.stderr
    names = sorted(os.listdir(os.path.join(work, 'night')))
    ref = {n: slices(os.path.join(ref_dir, n.split('.')[0], 'recon')) for n in names}
bad = 0
for seed in range(1, trials + 1):
    out = os.path.join(work, '%s_%d' % (what, seed))
    delay = random.Random(seed).uniform(0, span)
    p = subprocess.Popen([xct, '--no-progress', '-q'] + cmd(out),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    p.kill(); p.wait()
    # What looks finished must be finished.
    if what == 'recon':
        looks = os.path.exists(os.path.join(out, 'report.json'))
        honest = (not looks) or slices(out) == ref
    else:
        honest = True
        for n in ref:
            folder = os.path.join(out, n.split('.')[0])
            if os.path.exists(os.path.join(folder, 'batch.json')):
                honest = honest and slices(os.path.join(folder, 'recon')) == ref[n]
    # The rerun completes and matches.
    r = run(cmd(out))
    if what == 'recon':
        again = r.returncode == 0 or (looks and r.returncode == 2)
        same = slices(out) == ref
    else:
        again = r.returncode == 0
        same = all(slices(os.path.join(out, n.split('.')[0], 'recon')) == ref[n] for n in ref)
    ok = honest and again and same
    bad += not ok
    print('trial %d: killed after %.3f s: honest %s, rerun %d, same %s' %
          (seed, delay, honest, r.returncode, same))
print('ok %d' % (trials - bad))
)PY";

class Kill : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    // A scan whose reconstruction takes a good fraction of a second, in slabs of 2 slices.
    auto r = run_xct({"simulate", (*dir_ / "sim").string(), "--cols", "96", "--rows", "24",
                      "--angles", "361", "--no-previews", "--truth", "none", "--no-progress"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // The night's folder of the batch: three small scans.
    std::filesystem::create_directories(*dir_ / "night");
    for (int seed = 2; seed <= 4; ++seed) {
      const auto sim = *dir_ / std::string("s").append(std::to_string(seed));
      r = simulate_small_scan(sim, 48, 121, seed);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      std::filesystem::copy_file(
          sim / "scan_t00.h5",
          *dir_ / "night" / std::string("scan_").append(std::to_string(seed)).append(".h5"));
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static void expect_all_trials_ok(const std::string& what) {
    const auto r =
        run_python(kDriver, {XCT_BINARY, dir_->path().string(), what, std::to_string(kTrials)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("ok " + std::to_string(kTrials) + "\n"), std::string::npos) << r.out;
  }
  static TempDir* dir_;
};
TempDir* Kill::dir_ = nullptr;

TEST_F(Kill, ReconKilledAnywhereLeavesNothingFalseAndRerunsToTheSameSlices) {
  expect_all_trials_ok("recon");
}

TEST_F(Kill, BatchKilledAnywhereLeavesNothingFalseAndRerunsToTheSameSlices) {
  expect_all_trials_ok("batch");
}

}  // namespace
}  // namespace xct::test
