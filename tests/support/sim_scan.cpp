#include "tests/support/sim_scan.hpp"

#include <algorithm>

#include "recon/flatfield.hpp"
#include "simulate/cell.hpp"
#include "simulate/projector.hpp"

namespace xct::test {

sim::SimulationParams band_params(std::size_t n_cols, std::size_t n_rows, std::size_t n_angles) {
  sim::SimulationParams p;
  p.cell.n_cols = n_cols;
  p.cell.n_rows = n_rows;
  // The cell is laid out as if the detector were square; the band sits just below the
  // pellet's top face (at 0.52 of the height), where the crack grows.
  p.cell.cell_height = static_cast<double>(n_cols);
  p.cell.first_row = 0.55 * static_cast<double>(n_cols);
  p.n_angles = n_angles;
  p.detector.n_flats = 10;
  p.detector.n_darks = 10;
  return p;
}

SimScan simulate_scan(const sim::SimulationParams& p,
                      const std::function<void(sim::DetectorModel&)>& edit) {
  const std::size_t H = p.cell.n_rows, W = p.cell.n_cols, A = p.n_angles;
  SimScan s;
  s.angles_rad = sim::scan_angles(A);
  s.centre = sim::true_centre(p);
  s.detector = sim::make_detector(p.detector, H, W, A);
  if (edit) edit(s.detector);
  const sim::Cell cell = sim::build_cell(p.cell, {sim::step_progress(p, 0)});
  const sim::Pose pose = sim::step_pose(p, 0);
  const sim::ProjectionGeometry geom{H, W, s.centre, p.detector.pixel_size_um, p.supersample};
  s.projections = HostArray<float, 3>({A, H, W});
  s.transmission = HostArray<float, 3>({A, H, W});
  s.flats = HostArray<float, 3>({p.detector.n_flats + p.detector.n_flats_after, H, W});
  s.darks = HostArray<float, 3>({p.detector.n_darks, H, W});
  std::vector<sim::ExposureStats> local(A);
#pragma omp parallel for schedule(dynamic, 1)
  for (long a = 0; a < static_cast<long>(A); ++a) {
    float* t = s.transmission.data() + a * H * W;
    sim::project(cell.scene, pose, geom, s.angles_rad[a], t);
    sim::expose(s.detector, sim::FrameKind::Projection, a, 0, t, nullptr,
                s.projections.data() + a * H * W, local[a]);
  }
  for (auto& l : local)
    s.stats.merge(l);
  for (std::size_t f = 0; f < s.flats.extent(0); ++f)
    sim::expose(s.detector, sim::FrameKind::Flat, f, 0, nullptr, nullptr,
                s.flats.data() + f * H * W, s.stats);
  for (std::size_t f = 0; f < s.darks.extent(0); ++f)
    sim::expose(s.detector, sim::FrameKind::Dark, f, 0, nullptr, nullptr,
                s.darks.data() + f * H * W, s.stats);
  return s;
}

HostArray<float, 2> corrected_sinogram(const SimScan& s, std::size_t row) {
  const std::size_t A = s.projections.extent(0), W = s.projections.extent(2);
  std::vector<double> flat(W, 0.0), dark(W, 0.0);
  const std::size_t nf = s.detector.params.n_flats, nd = s.darks.extent(0);
  for (std::size_t c = 0; c < W; ++c) {
    for (std::size_t f = 0; f < nf; ++f)
      flat[c] += s.flats(f, row, c) / static_cast<double>(nf);
    for (std::size_t f = 0; f < nd; ++f)
      dark[c] += s.darks(f, row, c) / static_cast<double>(nd);
  }
  HostArray<float, 2> out({A, W});
  for (std::size_t a = 0; a < A; ++a)
    for (std::size_t c = 0; c < W; ++c)
      out(a, c) = static_cast<float>((s.projections(a, row, c) - dark[c]) / (flat[c] - dark[c]));
  return out;
}

void keep_stripe_kind(sim::DetectorModel& det, const std::string& kind, std::size_t n_rows) {
  if (kind == "every") return;
  std::erase_if(det.stripes, [&](const auto& st) { return st.kind != kind; });
  for (auto& st : det.stripes)
    st.row0 = 0, st.row1 = n_rows;
}

HostArray<float, 2> xct_transmission(const SimScan& s, std::size_t row) {
  using namespace recon;
  const std::size_t A = s.projections.extent(0), H = s.projections.extent(1),
                    W = s.projections.extent(2);
  HostArray<float, 2> flat({H, W}), dark({H, W});
  reduce_frames(s.flats.cview(), FrameReduction::Median, flat.view());
  reduce_frames(s.darks.cview(), FrameReduction::Median, dark.view());
  const FlatFieldParams params;
  FlatFieldCounts counts;
  const auto ref = make_flat_reference(dark.cview(), flat.cview(), nullptr, 0, 0, params, counts);
  HostArray<float, 3> t(s.projections.shape());
  flat_field(s.projections.cview(), ref, {}, t.view(), params, counts);
  HostArray<float, 2> out({A, W});
  for (std::size_t a = 0; a < A; ++a)
    std::copy_n(&t(a, row, 0), W, &out(a, 0));
  return out;
}

}  // namespace xct::test
