// The bad-input matrix: broken scans in every layout xct reads, and broken configs, each run
// through `xct check` or `xct recon` under a time limit. Every case must end with its
// documented exit code and one `xct: error: ...` line (for `check`, one line per problem), never
// a crash, a hang or a half-written output.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/test_support.hpp"

namespace xct::test {
namespace {

namespace fs = std::filesystem;

constexpr int kUsage = 2, kBadData = 65, kMissing = 66;
constexpr const char* kTimeLimit = "120";  // seconds a case may take before it counts as a hang

// The cases' files, made once from a small simulated Data Exchange scan by a Python script.
class BadInput : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const auto sim = simulate_small_scan(*dir_ / "sim", 32, 61, 2);
    ASSERT_EQ(sim.exit_code, 0) << sim.err;
    const auto r = run_python(R"PY(
import sys, os, shutil, h5py, numpy as np, tifffile
d = sys.argv[1]
good = os.path.join(d, 'sim', 'scan_t00.h5')
def copy(name):
    p = os.path.join(d, name); shutil.copy(good, p); return p
def edit(name, fn):
    p = copy(name)
    with h5py.File(p, 'r+') as f: fn(f)
def replace(f, path, data):
    del f[path]; f.create_dataset(path, data=data)
raw = open(good, 'rb').read()
open(os.path.join(d, 'truncated.h5'), 'wb').write(raw[:len(raw) // 3])
open(os.path.join(d, 'bad_signature.h5'), 'wb').write(b'\0' * 8 + raw[8:])
open(os.path.join(d, 'empty.h5'), 'wb').write(b'')
proj = h5py.File(good, 'r')['/exchange/data'][...].astype('float32')
nan = proj.copy(); nan[3, 2, 5] = np.nan
inf = proj.copy(); inf[4, 1, 7] = np.inf
edit('nan.h5', lambda f: replace(f, '/exchange/data', nan))
edit('inf.h5', lambda f: replace(f, '/exchange/data', inf))
edit('rank2.h5', lambda f: replace(f, '/exchange/data', proj[0]))
edit('complex.h5', lambda f: replace(f, '/exchange/data', proj.astype('complex64')))
edit('flat_shape.h5', lambda f: replace(f, '/exchange/data_white',
                                        f['/exchange/data_white'][:, :, :16]))
edit('theta_count.h5', lambda f: replace(f, '/exchange/theta', f['/exchange/theta'][:-5]))
edit('zero_flats.h5', lambda f: replace(f, '/exchange/data_white',
                                        np.zeros_like(f['/exchange/data_white'][...])))
edit('saturated_flats.h5', lambda f: replace(f, '/exchange/data_white',
                                             np.full_like(f['/exchange/data_white'][...], 65535)))
edit('radians.h5', lambda f: replace(f, '/exchange/theta', np.deg2rad(f['/exchange/theta'][...])))
edit('no_data.h5', lambda f: f.__delitem__('/exchange/data'))
def dangle(f):
    del f['/exchange/data_white']
    f['/exchange/data_white'] = h5py.ExternalLink('flats_gone.h5', '/data')
edit('dangling.h5', dangle)
# TIFF folders: projections, flats, darks and angles.txt.
with h5py.File(good, 'r') as f:
    p16 = f['/exchange/data'][...]; fl = f['/exchange/data_white'][...]
    dk = f['/exchange/data_dark'][...]; th = f['/exchange/theta'][...]
def tiff_scan(name, projections=p16, flats=fl, angles=th):
    t = os.path.join(d, name); os.makedirs(os.path.join(t, 'proj'))
    for i, a in enumerate(projections): tifffile.imwrite(os.path.join(t, 'proj', 'proj_%05d.tif' % i), a)
    for i, a in enumerate(flats): tifffile.imwrite(os.path.join(t, 'flat_%05d.tif' % i), a)
    for i, a in enumerate(dk): tifffile.imwrite(os.path.join(t, 'dark_%05d.tif' % i), a)
    np.savetxt(os.path.join(t, 'angles.txt'), angles)
    return t
tiff_scan('tiff_good')
t = tiff_scan('tiff_truncated')
p = os.path.join(t, 'proj', 'proj_00010.tif'); b = open(p, 'rb').read(); open(p, 'wb').write(b[:len(b) // 2])
t = tiff_scan('tiff_rgb')
tifffile.imwrite(os.path.join(t, 'proj', 'proj_00007.tif'), np.zeros((8, 32, 3), 'uint8'), photometric='rgb')
t = tiff_scan('tiff_shapes')
tifffile.imwrite(os.path.join(t, 'proj', 'proj_00005.tif'), np.zeros((8, 30), 'uint16'))
t = tiff_scan('tiff_no_flats', flats=fl[:0])
t = tiff_scan('tiff_angles_short', angles=th[:-3])
t = tiff_scan('tiff_angles_text')
open(os.path.join(t, 'angles.txt'), 'w').write('0\n1.5\nabc\n')
# Sizes no scan has, declared by a small file (found by fuzzing, docs/fuzzing.md).
def huge(name, path, shape, chunks, dtype):
    def fn(f):
        del f[path]
        f.create_dataset(path, shape=shape, chunks=chunks, dtype=dtype)
    edit(name, fn)
huge('huge_frames.h5', '/exchange/data', (61, 8, 2**40), (1, 8, 32), 'uint16')
huge('huge_theta.h5', '/exchange/theta', (2**34,), (1024,), 'float64')
# A deflate TIFF whose ImageWidth is patched to 2^27 + 6: 1 compressed strip for 2 GB of pixels.
t = os.path.join(d, 'huge_width.tif')
tifffile.imwrite(t, p16[0], compression='zlib')
b = bytearray(open(t, 'rb').read())
ifd = int.from_bytes(b[4:8], 'little')
for i in range(int.from_bytes(b[ifd:ifd + 2], 'little')):
    e = ifd + 2 + 12 * i
    if int.from_bytes(b[e:e + 2], 'little') == 256:
        b[e + 2:e + 4] = (4).to_bytes(2, 'little'); b[e + 4:e + 8] = (1).to_bytes(4, 'little')
        b[e + 8:e + 12] = (2**27 + 6).to_bytes(4, 'little')
open(t, 'wb').write(bytes(b))
# Configs.
open(os.path.join(d, 'bad_syntax.toml'), 'w').write('[recon\nfbp-filter = "hann"\n')
open(os.path.join(d, 'unknown_key.toml'), 'w').write('[recon]\nfbp-filtre = "hann"\n')
open(os.path.join(d, 'bad_value.toml'), 'w').write('[recon]\nfbp-filter = "bogus"\n')
open(os.path.join(d, 'bad_type.toml'), 'w').write('[recon]\nnsino-per-chunk = "many"\n')
open(os.path.join(d, 'out_of_range.toml'), 'w').write('[preprocess]\nzinger-threshold = -3\n')
os.symlink(os.path.join(d, 'nowhere.h5'), os.path.join(d, 'dangling_link.h5'))
)PY",
                              {dir_->path().string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string path(const std::string& name) { return (*dir_ / name).string(); }

  // `xct ARGS...` under the time limit; checks the exit code and the error line(s).
  static void expect_failure(const std::vector<std::string>& args, int code,
                             const std::string& what) {
    std::vector<std::string> argv = {"timeout", kTimeLimit, XCT_BINARY, "--no-progress", "-q"};
    argv.insert(argv.end(), args.begin(), args.end());
    const CommandResult r = run_command(argv);
    EXPECT_EQ(r.exit_code, code) << what << "\n" << r.err;
    if (args.front() == "check") {
      // A scan that opens: one `error: ` line per problem on stdout; one that does not: the
      // error line on stderr.
      EXPECT_TRUE(r.out.rfind("error: ", 0) == 0 || r.out.find("\nerror: ") != std::string::npos ||
                  r.err.rfind("xct: error: ", 0) == 0)
          << what << "\n"
          << r.out << r.err;
      EXPECT_EQ(r.err.find("terminate"), std::string::npos) << what;
    } else {
      expect_one_error_line(r);
    }
  }
  // `xct recon INPUT ARGS...` into a fresh folder, which must not look finished afterwards.
  static void expect_recon_failure(const std::string& input, std::vector<std::string> args,
                                   int code, const std::string& what) {
    const fs::path out = *dir_ / ("out_" + std::to_string(++outputs_));
    std::vector<std::string> all = {"recon", input, "--out", out.string()};
    all.insert(all.end(), args.begin(), args.end());
    expect_failure(all, code, what);
    EXPECT_FALSE(fs::exists(out / "report.json")) << what;
  }
  static TempDir* dir_;
  static int outputs_;
};
TempDir* BadInput::dir_ = nullptr;
int BadInput::outputs_ = 0;

TEST_F(BadInput, BrokenHdf5Files) {
  expect_failure({"check", path("truncated.h5")}, kBadData, "truncated HDF5");
  expect_failure({"check", path("bad_signature.h5")}, kBadData, "HDF5 signature zeroed");
  expect_failure({"check", path("empty.h5")}, kBadData, "empty file");
  expect_recon_failure(path("truncated.h5"), {}, kBadData, "recon of a truncated HDF5");
}

TEST_F(BadInput, WrongContentOfDataExchange) {
  expect_failure({"check", path("nan.h5")}, kBadData, "NaN in the projections");
  expect_failure({"check", path("inf.h5")}, kBadData, "Inf in the projections");
  expect_failure({"check", path("rank2.h5")}, kBadData, "projections of rank 2");
  expect_failure({"check", path("complex.h5")}, kBadData, "complex projections");
  expect_failure({"check", path("flat_shape.h5")}, kBadData, "flats of another frame shape");
  expect_failure({"check", path("theta_count.h5")}, kBadData, "fewer angles than projections");
  expect_failure({"check", path("zero_flats.h5")}, kBadData, "flats all zero");
  expect_failure({"check", path("saturated_flats.h5")}, kBadData, "flats saturated");
  expect_failure({"check", path("no_data.h5")}, kBadData, "no projections dataset");
  expect_recon_failure(path("radians.h5"), {}, kBadData, "angles in radians stored as degrees");
  expect_recon_failure(path("nan.h5"), {}, kBadData, "recon of NaN projections");
}

TEST_F(BadInput, SizesNoScanHasAreRefusedBeforeAllocating) {
  // Each file is a few KB but declares terabytes: the specific check must fire (exit 65 and its
  // own message), not std::bad_alloc (exit 70) or a machine brought to its knees.
  const std::pair<const char*, const char*> cases[] = {
      {"huge_frames.h5", "more than any detector records"},
      {"huge_theta.h5", "more than any scan's list"},
      {"huge_width.tif", "more than any codec expands"}};
  for (const auto& [name, message] : cases) {
    const CommandResult r =
        run_command({"timeout", kTimeLimit, XCT_BINARY, "--no-progress", "info", path(name)});
    EXPECT_EQ(r.exit_code, kBadData) << name << "\n" << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << name << "\n" << r.err;
    expect_one_error_line(r);
  }
}

TEST_F(BadInput, MissingFilesAndLinks) {
  expect_failure({"check", path("nowhere.h5")}, kMissing, "missing file");
  expect_failure({"check", path("dangling_link.h5")}, kMissing, "dangling symbolic link");
  expect_recon_failure(path("dangling.h5"), {}, kMissing, "flats behind a dangling HDF5 link");
}

TEST_F(BadInput, BrokenTiffScans) {
  // The good folder passes: the broken ones differ from it in one thing each.
  const auto good = run_command(
      {"timeout", kTimeLimit, XCT_BINARY, "--no-progress", "-q", "check", path("tiff_good")});
  ASSERT_EQ(good.exit_code, 0) << good.err;
  expect_failure({"check", path("tiff_truncated")}, kBadData, "truncated TIFF projection");
  expect_failure({"check", path("tiff_rgb")}, kBadData, "RGB TIFF projection");
  expect_failure({"check", path("tiff_shapes")}, kBadData, "TIFF frames of different shapes");
  expect_failure({"check", path("tiff_no_flats")}, kBadData, "TIFF scan without flats");
  expect_failure({"check", path("tiff_angles_short")}, kBadData, "fewer angles than frames");
  expect_failure({"check", path("tiff_angles_text")}, kBadData, "angles file with text");
}

TEST_F(BadInput, BrokenConfigs) {
  const std::string scan = path("sim/scan_t00.h5");
  expect_recon_failure(scan, {"--config", path("bad_syntax.toml")}, kUsage, "TOML syntax");
  expect_recon_failure(scan, {"--config", path("unknown_key.toml")}, kUsage, "unknown key");
  expect_recon_failure(scan, {"--config", path("bad_value.toml")}, kUsage, "unknown filter");
  expect_recon_failure(scan, {"--config", path("bad_type.toml")}, kUsage, "text for a number");
  expect_recon_failure(scan, {"--config", path("out_of_range.toml")}, kUsage,
                       "negative zinger threshold");
  expect_recon_failure(scan, {"--config", path("nowhere.toml")}, kMissing, "missing config");
}

}  // namespace
}  // namespace xct::test
