// Crash resume of `xct recon`: a run killed (SIGKILL) once its journal records some slabs
// leaves them in its staging folder; the rerun keeps them, reconstructs only the rest, and
// writes the volume an uninterrupted run writes, byte for byte. A changed setting, a damaged
// journal line or a damaged staged slice must never let a wrong slice through.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/support/test_support.hpp"

namespace xct::test {
namespace {

// The driver: runs the uninterrupted reference into OUT and moves it aside, starts the same
// command again into OUT, kills it as soon as its journal records `kill_after` slabs,
// optionally damages what it left (`damage`), reruns (with `rerun_flags`: FLAG VALUE pairs
// that replace or add to the command's) and prints
// one JSON line: the slabs recorded when killed, the rerun's exit code and resumed slices, and
// whether the volume files and previews equal the reference's byte for byte.
const char* const kDriver = R"PY(
import sys, os, subprocess, time, glob, json, shutil
xct, scan, work, fmt, dtype, damage = sys.argv[1:7]
rerun_flags = sys.argv[7].split() if len(sys.argv) > 7 and sys.argv[7] else []
kill_after = 4
out = os.path.join(work, 'out_%s_%s_%s' % (fmt, dtype, damage))
ref = out + '_ref'
for d in (out, ref):
    shutil.rmtree(d, ignore_errors=True)
base = [xct, '--no-progress', 'recon', scan, '-o', out, '--nsino-per-chunk', '2',
        '--save-format', fmt, '--dtype', dtype]
r = subprocess.run(base, capture_output=True, text=True)
assert r.returncode == 0, r.stderr
os.rename(out, ref)
def files(folder):
    got = {}
    for p in sorted(glob.glob(os.path.join(folder, 'recon*')) +
                    glob.glob(os.path.join(folder, 'previews', '*'))):
        got[os.path.relpath(p, folder)] = open(p, 'rb').read()
    return got
journal = os.path.join(out, '.partial', 'resume.journal')
p = subprocess.Popen(base, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
t0 = time.time()
recorded = 0
while time.time() - t0 < 60:
    try:
        recorded = open(journal).read().count('\nslab ')
    except FileNotFoundError:
        recorded = 0
    if recorded >= kill_after or p.poll() is not None:
        break
    time.sleep(0.0005)
p.kill(); p.wait()
recorded = open(journal).read().count('\nslab ')
if damage == 'journal_tail':
    # A record cut short by the crash, and one that names slices that were never written.
    with open(journal, 'a') as f:
        f.write('slab 20 2\nslab 2')
elif damage == 'staged_slice':
    # The second recorded slab's first slice is cut in half on the disk.
    victim = sorted(glob.glob(os.path.join(out, '.partial', 'recon_*.tiff')))[2]
    data = open(victim, 'rb').read()
    open(victim, 'wb').write(data[:len(data) // 2])
rerun = list(base)
for flag, value in zip(rerun_flags[::2], rerun_flags[1::2]):
    if flag in rerun:
        rerun[rerun.index(flag) + 1] = value
    else:
        rerun += [flag, value]
r = subprocess.run(rerun, capture_output=True, text=True)
report = json.load(open(os.path.join(out, 'report.json'))) if r.returncode == 0 else {}
a, b = files(ref), files(out)
print(json.dumps({'recorded': recorded, 'rc': r.returncode,
                  'resumed': report.get('output', {}).get('resumed_slices', -1),
                  'slices': report.get('output', {}).get('shape_zyx', [0])[0],
                  'files': len(a), 'same': a == b,
                  'log': [l for l in r.stderr.splitlines() if 'resum' in l or 'error' in l],
                  'staging_left': os.path.exists(os.path.join(out, '.partial'))}))
)PY";

class Resume : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    // 24 slices in slabs of 2: a dozen slabs, each taking some tens of milliseconds.
    const auto r =
        run_xct({"simulate", (*dir_ / "sim").string(), "--cols", "96", "--rows", "24", "--angles",
                 "361", "--no-previews", "--truth", "none", "--no-progress"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static nlohmann::json drive(const std::string& format, const std::string& dtype,
                              const std::string& damage = "none",
                              const std::string& rerun_flags = "") {
    const auto r = run_python(kDriver, {XCT_BINARY, (*dir_ / "sim" / "scan_t00.h5").string(),
                                        dir_->path().string(), format, dtype, damage, rerun_flags});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
    return j.is_discarded() ? nlohmann::json::object() : j;
  }
  static TempDir* dir_;
};
TempDir* Resume::dir_ = nullptr;

constexpr int kSlices = 24;
constexpr int kPerSlab = 2;

// The rerun keeps every slice the killed run recorded (at least the 4 slabs it was killed
// after), reconstructs only the others, and its files equal the uninterrupted run's.
void expect_resumed_identical(const nlohmann::json& j) {
  ASSERT_TRUE(j.contains("rc")) << j.dump();
  EXPECT_EQ(j["rc"], 0) << j.dump();
  EXPECT_GE(j["recorded"].get<int>(), 4) << j.dump();
  EXPECT_EQ(j["resumed"].get<int>(), kPerSlab * j["recorded"].get<int>()) << j.dump();
  EXPECT_LT(j["resumed"].get<int>(), kSlices) << "the run was killed after it finished";
  EXPECT_EQ(j["slices"], kSlices);
  EXPECT_GE(j["files"].get<int>(), 4) << "the volume and its three previews";
  EXPECT_TRUE(j["same"].get<bool>()) << j.dump();
  EXPECT_FALSE(j["staging_left"].get<bool>());
}

TEST_F(Resume, TiffFloat32KeepsTheKilledRunsSlabsAndMatchesByteForByte) {
  const auto j = drive("tiff", "float32");
  expect_resumed_identical(j);
  ASSERT_FALSE(j["log"].empty());
  EXPECT_NE(j["log"][0].get<std::string>().find("slices are kept"), std::string::npos);
}

TEST_F(Resume, TiffUint16KeepsTheKilledRunsSlabsAndMatchesByteForByte) {
  // uint16 is scaled from the whole volume's range, which must include the kept slabs.
  expect_resumed_identical(drive("tiff", "uint16"));
}

TEST_F(Resume, Hdf5Float32KeepsTheKilledRunsSlabsAndMatchesByteForByte) {
  expect_resumed_identical(drive("h5", "float32"));
}

TEST_F(Resume, Hdf5Uint16KeepsTheKilledRunsSlabsAndMatchesByteForByte) {
  expect_resumed_identical(drive("h5", "uint16"));
}

TEST_F(Resume, OtherSlabHeightsAndMemoryStillResume) {
  // Slab heights and memory only split the work: slices do not depend on them.
  const auto j = drive("tiff", "float32", "none", "--nsino-per-chunk 5 --max-memory 2G");
  EXPECT_EQ(j["rc"], 0) << j.dump();
  EXPECT_GE(j["resumed"].get<int>(), 8) << j.dump();
  EXPECT_TRUE(j["same"].get<bool>()) << j.dump();
}

TEST_F(Resume, AChangedSettingStartsAfresh) {
  // Another filter (the default is hann) makes other slices: nothing of the killed run may be
  // kept.
  const auto j = drive("tiff", "float32", "none", "--fbp-filter shepp-logan");
  EXPECT_EQ(j["rc"], 0) << j.dump();
  EXPECT_EQ(j["resumed"], 0) << j.dump();
  EXPECT_FALSE(j["same"].get<bool>()) << "the shepp-logan filter should change the slices";
}

TEST_F(Resume, AJournalRecordCutShortIsIgnored) {
  // "slab 20 2" names slices the killed run never wrote; it is followed by a cut line. The
  // rerun keeps only what reads back whole: slices 20-21 must not be taken on trust.
  const auto j = drive("tiff", "float32", "journal_tail");
  EXPECT_EQ(j["rc"], 0) << j.dump();
  EXPECT_TRUE(j["same"].get<bool>()) << j.dump();
  EXPECT_GE(j["resumed"].get<int>(), 8) << j.dump();
}

TEST_F(Resume, AStagedSliceCutShortIsReconstructedAgain) {
  const auto j = drive("tiff", "float32", "staged_slice");
  EXPECT_EQ(j["rc"], 0) << j.dump();
  EXPECT_TRUE(j["same"].get<bool>()) << j.dump();
  EXPECT_EQ(j["resumed"].get<int>(), kPerSlab * j["recorded"].get<int>() - 1)
      << "every recorded slice but the damaged one is kept: " << j.dump();
}

}  // namespace
}  // namespace xct::test
