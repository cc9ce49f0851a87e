#include "recon/center_measure.hpp"

#include <algorithm>
#include <numbers>

#include "core/error.hpp"
#include "recon/half_turn.hpp"

namespace xct::recon {

Range band_around(std::size_t row, std::size_t count, std::size_t n_rows) {
  count = std::clamp<std::size_t>(count, 1, n_rows);
  const std::size_t begin = std::min(row - std::min(row, count / 2), n_rows - count);
  return Range{begin, begin + count};
}

BandSinograms band_sinograms(ScanReader& reader, Range rows, const PreprocessParams& prep,
                             PreprocessReport& report) {
  const ScanInfo& info = reader.info();
  XCT_CHECK(!info.angles_rad.empty(), ErrorKind::BadData,
            "the scan records no angles; give them with --angles-file or --angle-range");
  const HalfTurn h = first_half_turn(info.angles_rad);
  auto read = read_sinograms(reader, rows, prep, report, Range{h.begin, h.end});
  const std::size_t n_a = h.end - h.begin, n_c = read.extent(2);
  BandSinograms out{HostArray<float, 3>(read.shape()), {}, rows};
  for (std::size_t k = 0; k < n_a; ++k) {
    const std::size_t src = h.decreasing ? n_a - 1 - k : k;
    for (std::size_t r = 0; r < read.extent(0); ++r)
      std::copy_n(&read(r, src, 0), n_c, &out.sinos(r, k, 0));
    out.angles.push_back(info.angles_rad[h.begin + src]);
  }
  return out;
}

// Vo: the mean of the band's sinograms. Correlation: the band's rows at the first angle and at
// 180 degrees from it, as two projections whose stripes ring removal has taken out.
CenterResult measure_band_centre(const BandSinograms& band, const CentreMeasureParams& params,
                                 Logger& log) {
  const std::size_t n_r = band.sinos.extent(0), n_a = band.sinos.extent(1),
                    n_c = band.sinos.extent(2);
  if (params.method == "pc") {
    const auto pair = select_opposite_pair(band.angles, band.angles.front());
    HostArray<float, 2> first({n_r, n_c}), lower({n_r, n_c}), upper({n_r, n_c});
    for (std::size_t r = 0; r < n_r; ++r) {
      std::copy_n(&band.sinos(r, pair.first, 0), n_c, &first(r, 0));
      std::copy_n(&band.sinos(r, pair.lower, 0), n_c, &lower(r, 0));
      std::copy_n(&band.sinos(r, pair.upper, 0), n_c, &upper(r, 0));
    }
    HostArray<float, 2> opposite({n_r, n_c});
    blend_opposite(lower.cview(), upper.cview(), pair, opposite.view());
    if (pair.mismatch_rad > 0)
      log.warn("no projection lies 180 degrees from the first; the nearest is ",
               pair.mismatch_rad * 180 / std::numbers::pi, " degrees off");
    return find_center_phase_correlation(first.cview(), opposite.cview(), params.pc);
  }
  XCT_CHECK(params.method == "vo", ErrorKind::Usage, "unknown centre method '", params.method,
            "' (vo, pc)");
  HostArray<float, 2> mean({n_a, n_c}, 0.0f);
  for (std::size_t r = 0; r < n_r; ++r)
    for (std::size_t i = 0; i < n_a * n_c; ++i)
      mean.data()[i] += band.sinos.data()[r * n_a * n_c + i] / static_cast<float>(n_r);
  return find_center_vo(mean.cview(), params.vo);
}

CenterResult measure_centre_at(ScanReader& reader, std::size_t row, const PreprocessParams& prep,
                               const CentreMeasureParams& params, PreprocessReport& report,
                               Logger& log) {
  const std::size_t n_rows = reader.info().n_rows();
  XCT_CHECK(row < n_rows, ErrorKind::Usage, "centre row ", row, " is outside the detector's ",
            n_rows, " rows");
  const BandSinograms band =
      band_sinograms(reader, band_around(row, params.band, n_rows), prep, report);
  return measure_band_centre(band, params, log);
}

}  // namespace xct::recon
