// `xct segment` from the command line on a small simulated cell: every output exists and
// parses (labels read back by h5py and tifffile against labels.csv, metrics.json, overlays),
// metrics.json is written last, a finished folder is refused without --overwrite, regions of
// interest and config tables apply, and bad or missing inputs exit 65 and 66 with one line.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/png.hpp"
#include "segment/overlay.hpp"
#include "tests/support/test_support.hpp"

namespace xct::test {
namespace {

namespace fs = std::filesystem;

constexpr int kExitUsage = 2, kExitBadData = 65, kExitInputMissing = 66;
constexpr std::size_t kSide = 64;  // detector columns = rows = slices of the volume
constexpr double kVoxelUm = 1.3;   // the simulator's default pixel size
constexpr int kOverlayScale = 4;   // 64-voxel planes are magnified 4x (segment/overlay.hpp)

// One 64^3 cell (181 angles) simulated once; its attenuation truth (/attenuation, 1/cm, beside
// /labels in truth_t00.h5) is the volume segmented: the segmentation's own accuracy is tested
// in tests/segment/, here what matters is what the command reads and writes.
class SegmentCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const auto sim = run_xct({"simulate", (*dir_ / "sim").string(), "--cols", "64", "--angles",
                              "181", "--no-previews", "--no-progress"});
    ASSERT_EQ(sim.exit_code, 0) << sim.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static fs::path truth() { return *dir_ / "sim" / "truth_t00.h5"; }
  static fs::path out(const std::string& name) { return *dir_ / name; }

  // `xct segment TRUTH --dataset /attenuation ARGS...`
  static CommandResult segment(const std::vector<std::string>& args) {
    std::vector<std::string> all = {"segment", truth().string(), "--dataset", "/attenuation"};
    all.insert(all.end(), args.begin(), args.end());
    return run_xct(all);
  }
  static TempDir* dir_;
};
TempDir* SegmentCli::dir_ = nullptr;

// Every regular file in `folder` is at most as new as metrics.json: it was written last.
void expect_metrics_last(const fs::path& folder) {
  const auto marker = fs::last_write_time(folder / "metrics.json");
  std::size_t others = 0;
  for (const auto& e : fs::directory_iterator(folder)) {
    EXPECT_NE(e.path().filename().string().front(), '.') << "left behind: " << e.path();
    if (e.path().filename() == "metrics.json" || !e.is_regular_file()) continue;
    ++others;
    EXPECT_LE(fs::last_write_time(e.path()), marker) << e.path() << " is newer than metrics.json";
  }
  EXPECT_GT(others, 0u);
}

// Per-label voxel counts of the labels (h5py or tifffile) against labels.csv, and each row's
// volume against voxels x voxel volume.
const char* const kLabelsAgainstCsv = R"(
import sys, csv, glob, os, numpy as np
folder, kind = sys.argv[1], sys.argv[2]
if kind == 'h5':
    import h5py, json
    with h5py.File(os.path.join(folder, 'labels.h5'), 'r') as f:
        d = f['labels']
        assert d.dtype == np.uint8 and d.chunks == (1,) + d.shape[1:], (d.dtype, d.chunks)
        assert json.loads(d.attrs['label_names'])[3] == 'nasicon'
        v = d[...]
else:
    import tifffile
    files = sorted(glob.glob(os.path.join(folder, 'labels_*.tif')))
    v = np.stack([tifffile.imread(f) for f in files])
    assert v.dtype == np.uint8
print(*v.shape)
counts = np.bincount(v.ravel(), minlength=9)
rows = list(csv.DictReader(open(os.path.join(folder, 'labels.csv'))))
assert rows, 'labels.csv is empty'
for r in rows:
    l = int(r['label'])
    assert int(r['voxels']) == counts[l], (l, r['voxels'], counts[l])
    assert abs(float(r['volume_um3']) - counts[l] * 1.3 ** 3) < 1e-6 * max(1, counts[l])
assert {int(r['label']) for r in rows} == {l for l in range(1, 9) if counts[l] > 0}
)";

TEST_F(SegmentCli, WritesEveryOutputScoresAndWritesMetricsLast) {
  const fs::path o = out("full");
  const auto r = segment({"-o", o.string(), "--save-format", "h5", "--score", truth().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The scores, as aligned lines on stdout.
  EXPECT_NE(r.out.find("dice nasicon"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("voids in NaK"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("crack recall"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("chip volume"), std::string::npos) << r.out;

  const auto m = read_json(o / "metrics.json");
  EXPECT_EQ(m["status"], "complete");
  EXPECT_EQ(m["input"]["shape_zyx"], nlohmann::json({kSide, kSide, kSide}));
  EXPECT_EQ(m["input"]["dataset"], "/attenuation");
  EXPECT_EQ(m["input"]["voxel_size_from"], "hdf5 attribute");
  EXPECT_DOUBLE_EQ(m["parameters"]["voxel_size_um"].get<double>(), kVoxelUm);
  EXPECT_EQ(m["output"]["labels"], "labels.h5");
  EXPECT_TRUE(m["phases"]["thresholds"].is_array());
  EXPECT_TRUE(m["cylinder"]["radius_um"].is_number());
  EXPECT_TRUE(m["metrics"]["interface"]["contact_area_fraction"].is_number());
  EXPECT_GT(m["seconds"]["total"].get<double>(), 0.0);
  const auto& s = m["score"];
  ASSERT_TRUE(s.is_object());
  EXPECT_EQ(s["step"], 0);
  const double dice = s["dice"]["nasicon"].get<double>();
  EXPECT_TRUE(dice >= 0.0 && dice <= 1.0) << dice;
  EXPECT_TRUE(s["crack_volume_truth_voxels"].is_number());  // truth.json beside the truth

  // Labels against labels.csv (h5py); voids.csv has one row per void of metrics.json.
  const auto py = run_python(kLabelsAgainstCsv, {o.string(), "h5"});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  EXPECT_EQ(py.out, "64 64 64\n");
  std::ifstream voids(o / "voids.csv");
  std::string header;
  std::getline(voids, header);
  EXPECT_EQ(header.rfind("id,label,name,voxels,volume_um3,surface_area_um2", 0), 0u) << header;
  std::size_t rows = 0;
  for (std::string line; std::getline(voids, line);)
    rows += line.empty() ? 0 : 1;
  EXPECT_EQ(rows, m["metrics"]["voids"].size());

  // Overlays: three planes through the centre and three through the crack (or the centre), RGB,
  // magnified, with labels drawn in colour.
  for (const char* set : {"centre", "crack"}) {
    for (const char* plane : {"xy", "xz", "yz"}) {
      const fs::path png = o / (std::string("overlay_") + set + "_" + plane + ".png");
      const auto rgb = read_png_rgb(png);
      EXPECT_EQ(rgb.extent(0), kSide * kOverlayScale) << png;
      EXPECT_EQ(rgb.extent(1), kSide * kOverlayScale) << png;
      std::size_t coloured = 0;
      for (std::size_t i = 0; i < rgb.size(); i += 3)
        coloured += rgb.data()[i] != rgb.data()[i + 1] || rgb.data()[i + 1] != rgb.data()[i + 2];
      EXPECT_GT(coloured, 0u) << png << " shows no label";
    }
  }
  EXPECT_TRUE(fs::exists(o / "config.toml"));
  expect_metrics_last(o);
}

TEST_F(SegmentCli, TiffLabelsBesideTheInputAndTheFinishedFolderRule) {
  // No -o: INPUT's name + _seg beside it.
  const fs::path o = truth().parent_path() / "truth_t00_seg";
  const auto r = segment({"--no-overlays"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(fs::exists(o / "metrics.json")) << r.out;
  EXPECT_TRUE(fs::exists(o / "labels_00000.tif"));
  EXPECT_TRUE(fs::exists(o / "labels_00063.tif"));
  EXPECT_FALSE(fs::exists(o / "overlay_centre_xy.png"));
  const auto py = run_python(kLabelsAgainstCsv, {o.string(), "tiff"});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  EXPECT_EQ(py.out, "64 64 64\n");
  expect_metrics_last(o);

  // A finished folder is refused and left as it was.
  const auto before = read_binary(o / "metrics.json");
  const auto again = segment({"--no-overlays"});
  EXPECT_EQ(again.exit_code, kExitUsage);
  expect_one_error_line(again);
  EXPECT_NE(again.err.find("--overwrite"), std::string::npos) << again.err;
  EXPECT_EQ(read_binary(o / "metrics.json"), before);
  // --overwrite replaces it.
  const auto replaced = segment({"--no-overlays", "--overwrite"});
  ASSERT_EQ(replaced.exit_code, 0) << replaced.err;
  EXPECT_TRUE(fs::exists(o / "labels_00063.tif"));
  expect_metrics_last(o);
}

TEST_F(SegmentCli, RegionOfInterestFromAConfigTable) {
  const fs::path o = out("roi");
  const fs::path config = out("segment.toml");
  std::ofstream(config) << "[segment]\nroi = \"16:48,:,:\"\nsave-format = \"h5\"\n"
                           "no-overlays = true\n";
  const auto r =
      segment({"-o", o.string(), "--config", config.string(), "--score", truth().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto m = read_json(o / "metrics.json");
  EXPECT_EQ(m["input"]["roi_zyx"], nlohmann::json({{16, 48}, {0, kSide}, {0, kSide}}));
  EXPECT_EQ(m["output"]["shape_zyx"], nlohmann::json({32, kSide, kSide}));  // slices 16..47
  // The truth is scored over the same region; its whole-volume figures are left out.
  EXPECT_TRUE(m["score"]["dice"]["nasicon"].is_number());
  EXPECT_TRUE(m["score"]["crack_volume_truth_voxels"].is_null());
  const auto py = run_python(kLabelsAgainstCsv, {o.string(), "h5"});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  EXPECT_EQ(py.out, "32 64 64\n");
  EXPECT_FALSE(fs::exists(o / "overlay_centre_xy.png"));

  std::ofstream(out("bad.toml")) << "[segment]\nno-such-key = 1\n";
  const auto bad = segment({"-o", out("bad").string(), "--config", out("bad.toml").string()});
  EXPECT_EQ(bad.exit_code, kExitUsage);
  expect_one_error_line(bad);
  EXPECT_FALSE(fs::exists(out("bad")));
}

TEST_F(SegmentCli, BadInputExits65AndLeavesNoFolder) {
  const fs::path d = out("bad_inputs");
  fs::create_directories(d);
  const auto py = run_python(R"(
import sys, os, h5py, numpy as np
d = sys.argv[1]
def save(name, a, key='v'):
    with h5py.File(os.path.join(d, name), 'w') as f:
        f[key] = a
save('int64.h5', np.zeros((16, 16, 16), np.int64))
save('empty.h5', np.zeros((0, 16, 16), np.float32))
save('constant.h5', np.ones((16, 32, 32), np.float32))
save('other_truth.h5', np.zeros((8, 8, 8), np.uint8), 'labels')
)",
                             {d.string()});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"int64.h5", "int64"}, {"empty.h5", "empty"}, {"constant.h5", "constant"}};
  for (const auto& [name, why] : cases) {
    const fs::path o = d / (name + "_seg");
    // -q and the voxel size given: no log line of a run that started comes before the error.
    const auto r =
        run_xct({"-q", "segment", (d / name).string(), "-o", o.string(), "--voxel-size", "1.3"});
    EXPECT_EQ(r.exit_code, kExitBadData) << name << ": " << r.err;
    expect_one_error_line(r);
    EXPECT_NE(r.err.find(why), std::string::npos) << name << ": " << r.err;
    EXPECT_FALSE(fs::exists(o)) << name;
  }
  // A ground truth of another shape: refused before segmenting, both shapes named.
  const fs::path o = d / "shape_seg";
  const auto r = segment({"-o", o.string(), "--score", (d / "other_truth.h5").string()});
  EXPECT_EQ(r.exit_code, kExitBadData) << r.err;
  expect_one_error_line(r);
  EXPECT_NE(r.err.find("8 x 8 x 8"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("64 x 64 x 64"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(o));
}

TEST_F(SegmentCli, MissingInputExits66AndUsageErrorsExit2) {
  const auto missing = run_xct({"segment", out("absent.h5").string()});
  EXPECT_EQ(missing.exit_code, kExitInputMissing);
  expect_one_error_line(missing);
  EXPECT_NE(missing.err.find("absent.h5"), std::string::npos) << missing.err;
  EXPECT_FALSE(fs::exists(out("absent_seg")));
  const auto no_truth = segment({"-o", out("nt").string(), "--score", out("none.h5").string()});
  EXPECT_EQ(no_truth.exit_code, kExitInputMissing);
  expect_one_error_line(no_truth);
  EXPECT_FALSE(fs::exists(out("nt")));

  const std::vector<std::vector<std::string>> usage = {
      {"--roi", "0:100,:,:"},       // beyond the 64 slices
      {"--save-format", "png"},     // not tiff or h5
      {"--cylinder", "31,31"},      // CX,CY,R needs three numbers
      {"--memory-budget", "lots"},  // not a size
  };
  for (std::size_t i = 0; i < usage.size(); ++i) {
    std::vector<std::string> args = {"-o", out("u").string()};
    args.insert(args.end(), usage[i].begin(), usage[i].end());
    const auto r = segment(args);
    EXPECT_EQ(r.exit_code, kExitUsage) << usage[i][0] << ": " << r.err;
    expect_one_error_line(r);
    EXPECT_FALSE(fs::exists(out("u"))) << usage[i][0];
  }
  // A dataset the file does not hold is bad data, as for every reader.
  const auto no_dataset =
      run_xct({"segment", truth().string(), "-o", out("u").string(), "--dataset", "/no/path"});
  EXPECT_EQ(no_dataset.exit_code, kExitBadData) << no_dataset.err;
  expect_one_error_line(no_dataset);
}

}  // namespace
}  // namespace xct::test
