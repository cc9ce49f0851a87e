// Scoring a segmentation against the simulator's ground truth: voxel overlaps per label, the
// voids of the NaK layer, crack recall and precision, and volumes against truth.json.
//
// Where a ratio has nothing to count (no crack in the truth for recall, none found for
// precision) it is 1: nothing was missed, nothing was wrongly found. The voxel counts beside
// it tell the two cases apart.
#include "segment/score.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "core/error.hpp"
#include "io/hdf5.hpp"

namespace fs = std::filesystem;

namespace xct::seg {

namespace {

std::optional<double> number_at(const nlohmann::json& j, const char* a, const char* b = nullptr) {
  const nlohmann::json* p = &j;
  for (const char* key : {a, b}) {
    if (key == nullptr) break;
    if (!p->is_object() || !p->contains(key)) return std::nullopt;
    p = &(*p)[key];
  }
  if (!p->is_number()) return std::nullopt;
  return p->get<double>();
}

// The entry of truth.json's "time_steps" for `file` (by its "truth" name, else by index).
void read_truth_json(const fs::path& json_file, const fs::path& truth_file, GroundTruth& gt) {
  std::ifstream in(json_file);
  if (!in) return;
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    XCT_THROW(ErrorKind::BadData, "cannot read ", json_file.string(),
              " beside the ground truth: ", e.what());
  }
  if (!doc.is_object() || !doc.contains("time_steps") || !doc["time_steps"].is_array()) return;
  const nlohmann::json* step = nullptr;
  for (const auto& s : doc["time_steps"]) {
    if (s.is_object() && s.contains("truth") && s["truth"] == truth_file.filename().string()) {
      step = &s;
      break;
    }
  }
  if (step == nullptr) {
    for (const auto& s : doc["time_steps"]) {
      if (s.is_object() && s.contains("index") && s["index"].is_number_integer() &&
          s["index"].get<int>() == gt.step) {
        step = &s;
        break;
      }
    }
  }
  if (step == nullptr) return;
  gt.crack_volume = number_at(*step, "crack", "volume");
  gt.crack_depth_px = number_at(*step, "crack", "depth_px");
  gt.chip_volume = number_at(*step, "chip", "volume");
  gt.contact_area_fraction = number_at(*step, "contact_area_fraction");
}

double dice_of(std::size_t both, std::size_t a, std::size_t b) {
  return 2.0 * static_cast<double>(both) / static_cast<double>(a + b);
}

std::string shape_text(const std::array<std::size_t, 3>& s) {
  return std::to_string(s[0]) + " x " + std::to_string(s[1]) + " x " + std::to_string(s[2]);
}

}  // namespace

GroundTruth read_ground_truth(const fs::path& file) {
  std::error_code ec;
  XCT_CHECK(fs::exists(file, ec), ErrorKind::InputMissing,
            "ground truth not found: ", file.string());
  const h5::File f = h5::open_file(file);
  XCT_CHECK(h5::object_kind(f, "/labels") == h5::ObjectKind::Dataset, ErrorKind::BadData,
            "not a ground truth: ", file.string(), " holds no /labels dataset");
  const h5::Dataset d = h5::open_dataset(f, "/labels");
  const h5::DatasetInfo i = h5::dataset_info(d);
  XCT_CHECK(
      i.rank() == 3 && i.type_class == h5::TypeClass::Integer && !i.is_signed && i.type_size == 1,
      ErrorKind::BadData, "not a ground truth: ", f.where("/labels"), " is ", i.rank(), "-D ",
      i.type_name(), ", not a 3-D uint8 label volume");
  GroundTruth gt;
  gt.labels = HostArray<std::uint8_t, 3>({i.shape[0], i.shape[1], i.shape[2]});
  if (!gt.labels.empty()) h5::read_all(d, H5T_NATIVE_UINT8, gt.labels.data());
  static const std::regex step_name(R"(truth_t(\d+)\.h5)");
  std::smatch m;
  const std::string name = file.filename().string();
  if (std::regex_match(name, m, step_name)) gt.step = std::stoi(m[1].str());
  read_truth_json(file.parent_path() / "truth.json", file, gt);
  return gt;
}

Score score(const SegmentResult& result, const Metrics& metrics, const GroundTruth& truth) {
  const auto& ours = result.labels;
  XCT_CHECK(ours.shape() == truth.labels.shape(), ErrorKind::BadData, "the segmentation is ",
            shape_text(ours.shape()),
            " voxels (z, y, x) but the ground "
            "truth is ",
            shape_text(truth.labels.shape()), ": score against the truth of this volume");
  const std::size_t nz = ours.extent(0), ny = ours.extent(1), nx = ours.extent(2);
  const std::size_t n = ours.size();
  const std::uint8_t* a = ours.data();
  const std::uint8_t* t = truth.labels.data();

  // Per label: voxels in ours, in the truth, in both.
  std::array<std::size_t, kLabelCount> n_ours{}, n_truth{}, n_both{};
  // The NaK layer's region from the truth: its z rows and its largest radius about the slice
  // centre.
  const double cy = 0.5 * (static_cast<double>(ny) - 1.0);
  const double cx = 0.5 * (static_cast<double>(nx) - 1.0);
  std::size_t nak_z0 = nz, nak_z1 = 0;
  double nak_r2 = -1.0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t la = a[i], lt = t[i];
    if (la < kLabelCount) ++n_ours[la];
    if (lt < kLabelCount) ++n_truth[lt];
    if (la == lt && la < kLabelCount) ++n_both[la];
    if (lt == kNaK) {
      const std::size_t z = i / (ny * nx), y = (i / nx) % ny, x = i % nx;
      nak_z0 = std::min(nak_z0, z);
      nak_z1 = std::max(nak_z1, z + 1);
      const double dy = static_cast<double>(y) - cy, dx = static_cast<double>(x) - cx;
      nak_r2 = std::max(nak_r2, dy * dy + dx * dx);
    }
  }
  Score s;
  for (int l = 0; l < kLabelCount; ++l) {
    const auto k = static_cast<std::size_t>(l);
    if (n_ours[k] + n_truth[k] > 0) s.dice[k] = dice_of(n_both[k], n_ours[k], n_truth[k]);
  }

  if (nak_r2 >= 0) {
    std::size_t v_ours = 0, v_truth = 0, v_both = 0;
    for (std::size_t z = nak_z0; z < nak_z1; ++z) {
      for (std::size_t y = 0; y < ny; ++y) {
        const double dy = static_cast<double>(y) - cy;
        for (std::size_t x = 0; x < nx; ++x) {
          const double dx = static_cast<double>(x) - cx;
          if (dy * dy + dx * dx > nak_r2) continue;
          const std::size_t i = (z * ny + y) * nx + x;
          const bool va = a[i] == kVoid, vt = t[i] == kVoid;
          v_ours += va;
          v_truth += vt;
          v_both += va && vt;
        }
      }
    }
    if (v_ours + v_truth > 0) s.dice_voids_in_nak = dice_of(v_both, v_ours, v_truth);
  }

  s.crack_truth_voxels = n_truth[kCrack];
  s.crack_voxels = n_ours[kCrack];
  const auto crack_both = static_cast<double>(n_both[kCrack]);
  s.crack_recall =
      s.crack_truth_voxels > 0 ? crack_both / static_cast<double>(s.crack_truth_voxels) : 1.0;
  s.crack_precision = s.crack_voxels > 0 ? crack_both / static_cast<double>(s.crack_voxels) : 1.0;

  {
    // Within one voxel: a crack voxel near a crack voxel of the other volume.
    auto near = [&](const std::uint8_t* v, std::size_t z, std::size_t y, std::size_t x) {
      for (int dz = -1; dz <= 1; ++dz)
        for (int dy = -1; dy <= 1; ++dy)
          for (int dx = -1; dx <= 1; ++dx) {
            const long zz = static_cast<long>(z) + dz, yy = static_cast<long>(y) + dy,
                       xx = static_cast<long>(x) + dx;
            if (zz < 0 || yy < 0 || xx < 0 || zz >= static_cast<long>(nz) ||
                yy >= static_cast<long>(ny) || xx >= static_cast<long>(nx))
              continue;
            if (v[(static_cast<std::size_t>(zz) * ny + static_cast<std::size_t>(yy)) * nx +
                  static_cast<std::size_t>(xx)] == kCrack)
              return true;
          }
      return false;
    };
    std::size_t truth_found = 0, ours_true = 0;
    for (std::size_t z = 0; z < nz; ++z)
      for (std::size_t y = 0; y < ny; ++y)
        for (std::size_t x = 0; x < nx; ++x) {
          const std::size_t i = (z * ny + y) * nx + x;
          if (t[i] == kCrack && near(a, z, y, x)) ++truth_found;
          if (a[i] == kCrack && near(t, z, y, x)) ++ours_true;
        }
    s.crack_recall_1vox = s.crack_truth_voxels > 0 ? static_cast<double>(truth_found) /
                                                         static_cast<double>(s.crack_truth_voxels)
                                                   : 1.0;
    s.crack_precision_1vox =
        s.crack_voxels > 0 ? static_cast<double>(ours_true) / static_cast<double>(s.crack_voxels)
                           : 1.0;
  }

  s.crack_volume = result.crack_deficit_volume;
  s.crack_volume_truth = truth.crack_volume;
  if (truth.crack_volume && *truth.crack_volume > 0)
    s.crack_volume_error = (*s.crack_volume - *truth.crack_volume) / *truth.crack_volume;
  s.chip_volume = static_cast<double>(metrics.interface.chip_voxels);
  s.chip_volume_truth = truth.chip_volume;
  if (truth.chip_volume && *truth.chip_volume > 0)
    s.chip_volume_error = (*s.chip_volume - *truth.chip_volume) / *truth.chip_volume;
  s.contact = metrics.interface.contact_area_fraction;
  s.contact_truth = truth.contact_area_fraction;
  return s;
}

}  // namespace xct::seg
