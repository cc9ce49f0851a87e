// Whole scans from simulate(): reproducibility, the noise level, the injected defects where
// truth.json says they are, and the TIFF output.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "core/error.hpp"
#include "core/logger.hpp"
#include "io/layout.hpp"
#include "io/png.hpp"
#include "io/scan.hpp"
#include "simulate/preview.hpp"
#include "simulate/projector.hpp"
#include "simulate/simulate.hpp"
#include "tests/support/test_support.hpp"

namespace xct::sim {
namespace {

namespace fs = std::filesystem;

SimulationParams small_scan() {
  SimulationParams sp;
  sp.cell.n_cols = 64;
  sp.cell.n_rows = 24;
  sp.cell.cell_height = 64;
  sp.cell.first_row = 24;
  sp.n_angles = 41;
  sp.detector.n_flats = sp.detector.n_darks = 4;
  sp.command = "test";
  return sp;
}

TEST(Simulate, SameSeedGivesIdenticalFilesAndOtherSeedsDiffer) {
  test::TempDir a, b, c, d;
  SimulationParams sp = small_scan();
  sp.time_steps = 2;
  sp.drift_px = 1;
  const auto out_a = simulate(sp, a.path(), null_logger(), Progress::Style::Silent);
  simulate(sp, b.path(), null_logger(), Progress::Style::Silent);
  for (const char* f :
       {"scan_t00.h5", "scan_t01.h5", "truth_t00.h5", "truth_t01.h5", "truth.json"}) {
    EXPECT_TRUE(test::read_binary(a / f) == test::read_binary(b / f)) << f << " differs";
  }
  // Another noise seed: other counts, the same cell.
  SimulationParams noisy = sp;
  noisy.detector.noise_seed = 2;
  simulate(noisy, c.path(), null_logger(), Progress::Style::Silent);
  EXPECT_FALSE(test::read_binary(a / "scan_t00.h5") == test::read_binary(c / "scan_t00.h5"));
  EXPECT_TRUE(test::read_binary(a / "truth_t00.h5") == test::read_binary(c / "truth_t00.h5"));
  // Another cell seed: another cell.
  SimulationParams other = sp;
  other.cell.seed = 2;
  simulate(other, d.path(), null_logger(), Progress::Style::Silent);
  EXPECT_FALSE(test::read_binary(a / "truth_t00.h5") == test::read_binary(d / "truth_t00.h5"));
  EXPECT_NE(test::read_json(a / "truth.json")["time_steps"][0]["voids"],
            test::read_json(d / "truth.json")["time_steps"][0]["voids"]);
}

TEST(Simulate, DefaultFluxGivesProjectionSnrNear100) {
  // Flat-field-corrected samples in the air beside the cell; differences of consecutive
  // projections remove the slow beam drift, leaving sqrt(2) times the noise.
  test::TempDir dir;
  SimulationParams sp = small_scan();
  sp.n_angles = 201;
  sp.detector.n_flats = sp.detector.n_darks = 20;
  sp.detector.zingers = false;
  sp.truth = false;
  simulate(sp, dir.path(), null_logger(), Progress::Style::Silent);
  auto r = open_scan(dir / "scan_t00.h5", LayoutSpec{}, null_logger());
  const auto p = r->read_projections<float>(Range{0, 201}, Range{0, 24});
  const auto f = r->read_flats(Range{0, 24});
  const auto dk = r->read_darks(Range{0, 24});
  std::vector<double> flat(24 * 2, 0), dark(24 * 2, 0);
  for (std::size_t k = 0; k < 20; ++k) {
    for (std::size_t v = 0; v < 24; ++v) {
      for (std::size_t u = 0; u < 2; ++u) {
        flat[v * 2 + u] += f(k, v, u) / 20.0;
        dark[v * 2 + u] += dk(k, v, u) / 20.0;
      }
    }
  }
  double sum = 0, sum_sq = 0, mean = 0;
  std::size_t n = 0;
  for (std::size_t a = 0; a + 1 < 201; ++a) {
    for (std::size_t v = 0; v < 24; ++v) {
      for (std::size_t u = 0; u < 2; ++u) {  // columns 0-1: outside the housing
        const double ff = flat[v * 2 + u] - dark[v * 2 + u];
        const double x0 = (p(a, v, u) - dark[v * 2 + u]) / ff;
        const double x1 = (p(a + 1, v, u) - dark[v * 2 + u]) / ff;
        const double diff = (x1 - x0) / std::sqrt(2.0);
        sum += diff;
        sum_sq += diff * diff;
        mean += x0;
        ++n;
      }
    }
  }
  const double sigma = std::sqrt(sum_sq / n - (sum / n) * (sum / n));
  const double snr = (mean / n) / sigma;
  EXPECT_GT(snr, 85);
  EXPECT_LT(snr, 115);
}

TEST(Simulate, DefectsSitWhereTruthJsonSaysAndNowhereElse) {
  // Noise and blur off: each flat-field-corrected sample, divided by the exact transmission,
  // is 1 except where truth.json lists a stripe defect or a zinger.
  test::TempDir dir;
  SimulationParams sp = small_scan();
  sp.cell.n_cols = 96;  // room for all nine defects side by side
  sp.cell.cell_height = 96;
  sp.cell.first_row = 36;
  sp.detector.noise = false;
  sp.detector.blur_sigma_px = 0;
  sp.detector.flux = 40000;
  sp.detector.float_counts = true;
  sp.detector.zingers_per_frame = 1.0;
  sp.truth = false;
  const auto out = simulate(sp, dir.path(), null_logger(), Progress::Style::Silent);
  const auto doc = test::read_json(out.truth_json);
  auto r = open_scan(out.scans[0], LayoutSpec{}, null_logger());
  const auto p = r->read_projections<float>(Range{0, 41}, Range{0, 24});
  const auto f = r->read_flats(Range{0, 24});
  const auto dk = r->read_darks(Range{0, 24});
  const Cell cell = build_cell(sp.cell, {step_progress(sp, 0)});
  const ProjectionGeometry g{24, 96, true_centre(sp), 1.3, 1};
  const auto angles = scan_angles(41);
  const auto& stripes = doc["detector"]["stripes"];
  ASSERT_EQ(stripes.size(), 9u);
  std::set<std::string> kinds;
  for (const auto& s : stripes)
    kinds.insert(s["kind"].get<std::string>());
  EXPECT_EQ(kinds.size(), 6u);          // full, partial, fluctuating, dead, unresponsive, large
  std::vector<int> owner(24 * 96, -1);  // which stripe owns each pixel
  for (std::size_t s = 0; s < stripes.size(); ++s) {
    for (std::size_t v = stripes[s]["rows"][0]; v < stripes[s]["rows"][1]; ++v) {
      for (std::size_t u = stripes[s]["cols"][0]; u < stripes[s]["cols"][1]; ++u)
        owner[v * 96 + u] = s;
    }
  }
  std::set<std::tuple<std::size_t, std::size_t, std::size_t>> zingers;
  for (const auto& z : doc["time_steps"][0]["zingers"]) {
    zingers.insert(
        std::make_tuple(z[0].get<std::size_t>(), z[1].get<std::size_t>(), z[2].get<std::size_t>()));
  }
  ASSERT_GT(zingers.size(), 10u);
  // Pixels a zinger hit in the flat or the dark used below.
  std::set<std::pair<std::size_t, std::size_t>> hit_reference;
  for (const char* key : {"flat_zingers", "dark_zingers"}) {
    for (const auto& z : doc["time_steps"][0][key]) {
      if (z[0].get<std::size_t>() == 0) {
        hit_reference.insert({z[1].get<std::size_t>(), z[2].get<std::size_t>()});
      }
    }
  }
  std::size_t clean = 0, checked_stripes = 0;
  for (std::size_t a = 0; a < 41; ++a) {
    for (std::size_t v = 0; v < 24; ++v) {
      for (std::size_t u = 0; u < 96; ++u) {
        const double exact = std::exp(-line_integral(cell.scene, Pose{}, g, angles[a], u, v));
        const double lit = p(a, v, u) - dk(0, v, u), open = f(0, v, u) - dk(0, v, u);
        if (hit_reference.count({v, u})) continue;
        if (zingers.count({a, v, u})) {
          EXPECT_GT(lit - exact * open, 0.4 * 40000);  // a zinger adds 0.5 to 3 x flux
          continue;
        }
        const int s = owner[v * 96 + u];
        if (s < 0) {
          // The beam drift scales projections by up to 1 %; no defect means no other change.
          EXPECT_NEAR(lit / open / exact, 1.0, 0.012);
          ++clean;
          continue;
        }
        const std::string kind = stripes[s]["kind"];
        const double amp = stripes[s]["amplitude"];
        const double drift = lit / open / exact;
        if (kind == "dead") {
          EXPECT_EQ(lit, 0);
          EXPECT_EQ(open, 0);
        } else if (kind == "unresponsive") {
          EXPECT_NEAR(lit, amp * 40000, 1e-2);
          EXPECT_NEAR(open, amp * 40000, 1e-2);
        } else if (kind == "full" || (kind == "partial" && a >= stripes[s]["frames"][0] &&
                                      a < stripes[s]["frames"][1])) {
          EXPECT_NEAR(drift, 1 + amp, 0.015) << kind << " stripe at column " << u;
        }
        ++checked_stripes;
      }
    }
  }
  EXPECT_GT(clean, 41u * 24 * 70);
  EXPECT_GT(checked_stripes, 41u * 20);
}

TEST(Simulate, TiffScanHoldsTheSameFramesAsTheHdf5Scan) {
  test::TempDir h, t;
  SimulationParams sp = small_scan();
  sp.truth = false;
  simulate(sp, h.path(), null_logger(), Progress::Style::Silent);
  sp.format = ScanFormat::Tiff;
  const auto out = simulate(sp, t.path(), null_logger(), Progress::Style::Silent);
  ASSERT_TRUE(fs::is_directory(out.scans[0]));
  auto rh = open_scan(h / "scan_t00.h5", LayoutSpec{}, null_logger());
  auto rt = open_scan(out.scans[0], LayoutSpec{}, null_logger());
  EXPECT_EQ(rt->info().angles_rad.size(), 41u);
  EXPECT_NEAR(rt->info().angles_rad.back(), rh->info().angles_rad.back(), 1e-12);
  const auto a = rh->read_projections<std::uint16_t>(Range{0, 41}, Range{0, 24});
  const auto b = rt->read_projections<std::uint16_t>(Range{0, 41}, Range{0, 24});
  for (std::size_t i = 0; i < 41 * 24 * 64; ++i)
    ASSERT_EQ(a.data()[i], b.data()[i]) << i;
  EXPECT_EQ(rt->info().flats.n_frames, 4u);
  EXPECT_EQ(rt->info().darks.n_frames, 4u);
}

TEST(Simulate, NexusScanKeepsFlatsAfterTheProjectionsApart) {
  // The same scan as NXtomo with flats after the projections: its projections and first flats
  // are the Data Exchange file's, and the later flats see the beam as it has drifted by the end.
  test::TempDir h, n;
  SimulationParams sp = small_scan();
  sp.truth = false;
  sp.detector.n_flats = 6;
  simulate(sp, h.path(), null_logger(), Progress::Style::Silent);
  sp.format = ScanFormat::Nexus;
  sp.detector.n_flats_after = 6;
  const auto out = simulate(sp, n.path(), null_logger(), Progress::Style::Silent);
  EXPECT_EQ(out.scans[0].extension(), ".nxs");
  auto rh = open_scan(h / "scan_t00.h5", LayoutSpec{}, null_logger());
  auto rn = open_scan(out.scans[0], LayoutSpec{}, null_logger());
  const ScanInfo& info = rn->info();
  EXPECT_EQ(info.layout, "nexus");
  ASSERT_EQ(info.flats.n_frames, 12u);
  // Acquisition order: 4 darks, 6 flats, 41 projections, 6 flats.
  EXPECT_EQ(info.flats.acquisition_index.front(), 4u);
  EXPECT_EQ(info.flats.acquisition_index.back(), 4u + 6 + 41 + 5);
  EXPECT_EQ(info.projections.acquisition_index.front(), 10u);
  const auto ph = rh->read_projections<std::uint16_t>(Range{0, 41}, Range{0, 24});
  const auto pn = rn->read_projections<std::uint16_t>(Range{0, 41}, Range{0, 24});
  for (std::size_t i = 0; i < 41 * 24 * 64; ++i)
    ASSERT_EQ(ph.data()[i], pn.data()[i]) << i;
  const auto fh = rh->read_flats(Range{0, 24});
  const auto fn = rn->read_flats(Range{0, 24});
  const auto dk = rn->read_darks(Range{0, 24});
  double before = 0, after = 0;
  for (std::size_t k = 0; k < 6; ++k) {
    for (std::size_t i = 0; i < 24 * 64; ++i) {
      ASSERT_EQ(fh.data()[k * 24 * 64 + i], fn.data()[k * 24 * 64 + i]);
      before += fn.data()[k * 24 * 64 + i] - dk.data()[i];
      after += fn.data()[(k + 6) * 24 * 64 + i] - dk.data()[i];
    }
  }
  const DetectorModel det = make_detector(sp.detector, 24, 64, 41);
  // 6 x 1536 samples of about 10000 counts: the ratio is known to about 3e-4.
  EXPECT_NEAR(after / before, beam_intensity(det, 40), 1e-3);
  EXPECT_LT(beam_intensity(det, 40), 0.995);
}

TEST(Simulate, ScanMetadataAndTrueCentre) {
  test::TempDir dir;
  SimulationParams sp = small_scan();
  sp.axis_offset_px = -0.6;
  sp.truth = false;
  const auto out = simulate(sp, dir.path(), null_logger(), Progress::Style::Silent);
  auto r = open_scan(out.scans[0], LayoutSpec{}, null_logger());
  const ScanInfo& info = r->info();
  EXPECT_DOUBLE_EQ(info.angles_rad.front(), 0.0);
  EXPECT_NEAR(info.angles_rad.back(), std::acos(-1.0), 1e-12);
  EXPECT_DOUBLE_EQ(info.pixel_size_um.value_or(0), 1.3);
  EXPECT_DOUBLE_EQ(info.energy_kev.value_or(0), 80);
  EXPECT_DOUBLE_EQ(test::read_json(out.truth_json)["scan"]["centre_of_rotation"].get<double>(),
                   31.5 - 0.6);
}

TEST(Simulate, PhaseContrastAddsFringesAtEdges) {
  // Without the edge term a noise-free projection never exceeds the flat; with it, the
  // intensity overshoots beside edges (the transport-of-intensity Laplacian) and the mean stays.
  test::TempDir plain, phase;
  SimulationParams sp = small_scan();
  auto& d = sp.detector;
  d.noise = d.beam_profile = d.intensity_drift = d.pixel_gain = d.zingers = d.stripes = false;
  d.blur_sigma_px = 0;
  d.float_counts = true;
  sp.truth = false;
  simulate(sp, plain.path(), null_logger(), Progress::Style::Silent);
  d.phase_distance_mm = 200;
  simulate(sp, phase.path(), null_logger(), Progress::Style::Silent);
  auto a = open_scan(plain / "scan_t00.h5", LayoutSpec{}, null_logger());
  auto b = open_scan(phase / "scan_t00.h5", LayoutSpec{}, null_logger());
  const auto pa = a->read_projections<float>(Range{0, 41}, Range{0, 24});
  const auto pb = b->read_projections<float>(Range{0, 41}, Range{0, 24});
  const double open = d.flux + d.dark_level;
  double max_a = 0, max_b = 0, sum_a = 0, sum_b = 0;
  for (std::size_t i = 0; i < 41 * 24 * 64; ++i) {
    max_a = std::max<double>(max_a, pa.data()[i]);
    max_b = std::max<double>(max_b, pb.data()[i]);
    sum_a += pa.data()[i];
    sum_b += pb.data()[i];
  }
  EXPECT_LE(max_a, open + 1e-3);
  EXPECT_GT(max_b, open + 0.005 * d.flux);  // fringes of more than half a percent
  EXPECT_NEAR(sum_b / sum_a, 1.0, 1e-3);    // a Laplacian moves intensity, it adds none
}

TEST(Simulate, PreviewsShowTheTruthAndTheSinogram) {
  test::TempDir dir;
  SimulationParams sp = small_scan();
  sp.truth = false;  // previews do not need the truth volumes
  const auto out = simulate(sp, dir.path(), null_logger(), Progress::Style::Silent);
  ASSERT_EQ(out.previews.size(), 2u);
  const auto truth = read_png_gray8(dir / "previews/truth_t00.png");
  ASSERT_EQ(truth.extent(0), 64u);          // the 64 x 64 slice is taller than the 24-row cut
  ASSERT_EQ(truth.extent(1), 2u * 64 + 4);  // slice, a 4-pixel gap, the cut
  EXPECT_EQ(truth(32, 32), 255);  // the slice's centre lies in the pellet, the densest material
  EXPECT_EQ(truth(0, 0), 0);      // outside the cell
  const auto sino = read_png_gray8(dir / "previews/sinogram_t00.png");
  EXPECT_EQ(sino.extent(0), 41u);
  EXPECT_EQ(sino.extent(1), 64u);
  const auto doc = test::read_json(out.truth_json);
  EXPECT_EQ(doc["time_steps"][0]["preview_row"].get<std::size_t>(),
            preview_row(build_cell(sp.cell, {0.5}).layout, 24));
}

TEST(Simulate, BadParametersAreUsageErrors) {
  test::TempDir dir;
  auto expect_usage = [&](auto change) {
    SimulationParams sp = small_scan();
    change(sp);
    try {
      simulate(sp, dir.path(), null_logger(), Progress::Style::Silent);
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Usage) << e.what();
    }
  };
  expect_usage([](SimulationParams& s) { s.n_angles = 0; });
  expect_usage([](SimulationParams& s) { s.cell.pellet_radius = -0.3; });
  expect_usage([](SimulationParams& s) { s.cell.crack_depth = 0.6; });  // below the pellet
  expect_usage([](SimulationParams& s) { s.cell.crack_start = 0.4; });  // outside the pellet
  expect_usage([](SimulationParams& s) { s.cell.interface_void_fraction = 0.45; });  // no room
  expect_usage([](SimulationParams& s) { s.detector.flux = 70000; });  // flats overflow
  expect_usage([](SimulationParams& s) {
    s.time_steps = 3;
    s.drift_px = 9;
  });                                     // leaves the view
  EXPECT_TRUE(fs::is_empty(dir.path()));  // nothing written
}

}  // namespace
}  // namespace xct::sim
