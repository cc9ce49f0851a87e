#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "core/array.hpp"
#include "core/error.hpp"
#include "core/geometry.hpp"
#include "core/logger.hpp"
#include "core/progress.hpp"

namespace xct {
namespace {

TEST(Error, KindsMapToDocumentedExitCodes) {
  // The sysexits values documented in the README.
  EXPECT_EQ(exit_code(ErrorKind::Usage), 2);
  EXPECT_EQ(exit_code(ErrorKind::BadData), 65);
  EXPECT_EQ(exit_code(ErrorKind::InputMissing), 66);
  EXPECT_EQ(exit_code(ErrorKind::DeviceUnavailable), 69);
  EXPECT_EQ(exit_code(ErrorKind::Internal), 70);
  EXPECT_EQ(exit_code(ErrorKind::OutputIO), 74);
  EXPECT_EQ(exit_code(ErrorKind::TempFail), 75);
}

TEST(Error, CarriesKindFileAndLine) {
  try {
    XCT_CHECK(1 + 1 == 3, ErrorKind::BadData, "value ", 42, " is wrong");
    FAIL() << "XCT_CHECK did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadData);
    EXPECT_STREQ(e.what(), "value 42 is wrong");
    EXPECT_NE(std::string(e.file()).find("core_test.cpp"), std::string::npos);
    EXPECT_GT(e.line(), 0);
    EXPECT_NE(e.where().find("core_test.cpp:"), std::string::npos);
  }
}

TEST(View, ContiguousStridesAndIndexing) {
  HostArray<float, 3> a({2, 3, 4});
  for (std::size_t i = 0; i < a.size(); ++i)
    a.data()[i] = static_cast<float>(i);
  auto v = a.view();
  EXPECT_EQ(v.stride(0), 12);
  EXPECT_EQ(v.stride(1), 4);
  EXPECT_EQ(v.stride(2), 1);
  EXPECT_TRUE(v.is_contiguous());
  // Element (1, 2, 3) is the last one: 1*12 + 2*4 + 3 = 23.
  EXPECT_EQ(v(1, 2, 3), 23.0f);
}

TEST(View, SlabAndSubviewShareMemory) {
  HostArray<int, 3> a({5, 2, 3}, 0);
  auto slab = a.view().slab(2, 4);
  EXPECT_EQ(slab.extent(0), 2u);
  slab(1, 1, 2) = 7;  // row 3 of the parent
  EXPECT_EQ(a(3, 1, 2), 7);
  auto frame = a.view()[4];
  EXPECT_EQ(frame.extent(0), 2u);
  EXPECT_EQ(frame.extent(1), 3u);
  frame(0, 1) = 9;
  EXPECT_EQ(a(4, 0, 1), 9);
}

TEST(View, StridedViewIsNotContiguous) {
  HostArray<int, 2> a({4, 6}, 1);
  // Every second column: a legal view with stride 2 along x.
  HostView<int, 2> cols(a.data(), {4, 3}, {6, 2});
  EXPECT_FALSE(cols.is_contiguous());
  cols(3, 2) = 5;
  EXPECT_EQ(a(3, 4), 5);
  HostView<const int, 2> c = cols;  // const view from a mutable one
  EXPECT_EQ(c(3, 2), 5);
}

TEST(HostArray, CloneIsDeepAndAligned) {
  HostArray<std::uint16_t, 2> a({3, 5}, 11);
  auto b = a.clone();
  b(0, 0) = 12;
  EXPECT_EQ(a(0, 0), 11);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a.data()) % 64, 0u);
}

TEST(Geometry, HalfTurnWithAndWithoutEndPoint) {
  std::vector<double> with, without;
  for (double d : angle_range(0, 180, 181, true))
    with.push_back(deg_to_rad(d));
  for (double d : angle_range(0, 180, 180, false))
    without.push_back(deg_to_rad(d));
  const AngleSummary a = summarize_angles(with);
  EXPECT_EQ(a.turn_deg, 180.0);
  EXPECT_TRUE(a.end_point_included);
  EXPECT_NEAR(rad_to_deg(a.mean_step_rad), 1.0, 1e-12);
  const AngleSummary b = summarize_angles(without);
  EXPECT_EQ(b.turn_deg, 180.0);
  EXPECT_FALSE(b.end_point_included);
  EXPECT_DOUBLE_EQ(rad_to_deg(b.last_rad), 179.0);
}

TEST(Geometry, FullTurnAndOddSpans) {
  std::vector<double> full, odd;
  // 459 angles over 360 degrees without the end point, as the neutron sinogram was taken.
  for (double d : angle_range(0, 360, 459, false))
    full.push_back(deg_to_rad(d));
  for (double d : angle_range(0, 90, 46, true))
    odd.push_back(deg_to_rad(d));
  const AngleSummary a = summarize_angles(full);
  EXPECT_EQ(a.turn_deg, 360.0);
  EXPECT_FALSE(a.end_point_included);
  const AngleSummary b = summarize_angles(odd);
  EXPECT_EQ(b.turn_deg, 0.0) << "90 degrees is neither a half nor a full turn";
  EXPECT_NEAR(rad_to_deg(b.span_rad), 90.0, 1e-12);
}

TEST(Geometry, RangeEndPointIsExact) {
  const auto r = angle_range(-88.2, 91.8, 91, true);
  EXPECT_EQ(r.back(), 91.8);
  EXPECT_NEAR(r[1] - r[0], 2.0, 1e-12);
}

TEST(Geometry, RadiansAreRecognised) {
  std::vector<double> rad, deg;
  for (int i = 0; i <= 100; ++i) {
    rad.push_back(kPi * i / 100.0);
    deg.push_back(180.0 * i / 100.0);
  }
  EXPECT_TRUE(angles_look_like_radians(rad));
  EXPECT_FALSE(angles_look_like_radians(deg));
}

TEST(Geometry, DetectorCentreIsMidwayBetweenEndColumns) {
  Geometry g;
  g.n_cols = 2560;
  // Columns 0 and 2559 are measured from their centres, so the middle is 1279.5.
  EXPECT_DOUBLE_EQ(g.detector_center(), 1279.5);
}

TEST(Logger, TimestampIsIso8601Utc) {
  const std::string ts = timestamp_now();
  ASSERT_EQ(ts.size(), 24u);  // YYYY-MM-DDTHH:MM:SS.mmmZ
  EXPECT_EQ(ts[4], '-');
  EXPECT_EQ(ts[10], 'T');
  EXPECT_EQ(ts.back(), 'Z');
}

TEST(Logger, StreamLoggerFiltersByLevel) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  StreamLogger log(f, LogLevel::Warn);
  log.info("hidden line");
  log.warn("shown ", 3);
  std::rewind(f);
  char buf[256] = {};
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  const std::string text(buf, n);
  EXPECT_EQ(text.find("hidden"), std::string::npos);
  EXPECT_NE(text.find("WARN  shown 3"), std::string::npos);
}

std::string run_progress(Progress::Style style, std::size_t steps, double interval) {
  std::FILE* f = std::tmpfile();
  {
    Progress p("slabs", steps, f, style, interval);
    for (std::size_t i = 0; i < steps; ++i)
      p.advance();
  }
  std::rewind(f);
  std::string text;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;)
    text.append(buf, n);
  std::fclose(f);
  return text;
}

TEST(Progress, PlainLinesWhenNotATerminal) {
  // A temporary file is not a terminal: Auto chooses plain lines, and with a long interval
  // only the final line is written.
  const std::string text = run_progress(Progress::Style::Auto, 5, 1e9);
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_NE(text.find("slabs 5/5 (100%)"), std::string::npos);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
  EXPECT_EQ(text[4], '-');  // starts with a timestamp
}

TEST(Progress, BarRedrawsInPlace) {
  const std::string text = run_progress(Progress::Style::Bar, 3, 0);
  EXPECT_EQ(text.front(), '\r');
  EXPECT_NE(text.find("3/3 100%"), std::string::npos);
}

}  // namespace
}  // namespace xct
