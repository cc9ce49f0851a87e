// PNG previews: the percentile window (numpy's linear percentiles), non-finite pixels, the
// linear 0..255 mapping, the xct:window text chunk, and reading back. A small PNG decoder in
// Python (zlib and the five filters, CRCs checked) is the independent oracle.
#include "io/png.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "tests/support/test_support.hpp"

namespace fs = std::filesystem;
using xct::ErrorKind;
using xct::test::TempDir;

namespace {

// Decodes an 8-bit greyscale PNG: prints "width height depth colour interlace window-text"
// and writes the pixels to argv[2].
const char* kPngOracle = R"(
import sys, zlib, struct
d = open(sys.argv[1], 'rb').read()
assert d[:8] == b'\x89PNG\r\n\x1a\n'
pos, idat, text = 8, b'', {}
while pos < len(d):
    n, = struct.unpack('>I', d[pos:pos + 4]); t = d[pos + 4:pos + 8]; body = d[pos + 8:pos + 8 + n]
    assert struct.unpack('>I', d[pos + 8 + n:pos + 12 + n])[0] == zlib.crc32(t + body)
    if t == b'IHDR': w, h, bd, ct, _, _, il = struct.unpack('>IIBBBBB', body)
    elif t == b'IDAT': idat += body
    elif t == b'tEXt': k, v = body.split(b'\0', 1); text[k.decode()] = v.decode()
    pos += 12 + n
raw, out, prev = zlib.decompress(idat), bytearray(), bytearray(w)
for r in range(h):
    f, line = raw[r * (w + 1)], bytearray(raw[r * (w + 1) + 1:(r + 1) * (w + 1)])
    for i in range(w):
        a = line[i - 1] if i else 0; b = prev[i]; c = prev[i - 1] if i else 0
        p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        pred = [0, a, b, (a + b) // 2, a if pa <= pb and pa <= pc else (b if pb <= pc else c)][f]
        line[i] = (line[i] + pred) & 255
    out += line; prev = line
print(w, h, bd, ct, il, text.get('xct:window'))
open(sys.argv[2], 'wb').write(out)
)";

// Values 0..999 in a scrambled order (i * 7 mod 1000 visits each once) as 25 x 40.
xct::HostArray<float, 2> ramp() {
  xct::HostArray<float, 2> img({25, 40});
  for (std::size_t i = 0; i < img.size(); ++i)
    img.data()[i] = static_cast<float>(i * 7 % 1000);
  return img;
}

std::uint8_t expected_gray(float v, const xct::PreviewWindow& w) {
  if (!std::isfinite(v)) return 0;
  const double t = (v - w.low_value) / (w.high_value - w.low_value) * 255.0;
  return static_cast<std::uint8_t>(std::lround(std::clamp(t, 0.0, 255.0)));
}

}  // namespace

TEST(PngWindow, RampPercentilesMatchNumpy) {
  const auto img = ramp();
  const auto w = xct::percentile_window(img.cview());
  // numpy.percentile(arange(1000), [0.5, 99.5]) = 4.995 and 994.005 (linear interpolation
  // between neighbours), i.e. about 5 and 994, within one step of the ramp.
  EXPECT_NEAR(w.low_value, 4.995, 1e-9);
  EXPECT_NEAR(w.high_value, 994.005, 1e-9);
  EXPECT_EQ(w.low_percentile, 0.5);
  EXPECT_EQ(w.high_percentile, 99.5);
  EXPECT_EQ(w.non_finite, 0u);
  const auto full = xct::percentile_window(img.cview(), 0.0, 100.0);  // min and max
  EXPECT_EQ(full.low_value, 0.0);
  EXPECT_EQ(full.high_value, 999.0);
  // A transposed (strided) view holds the same values, so the same window.
  const xct::HostView<const float, 2> transposed(img.data(), {40, 25}, {1, 40});
  EXPECT_EQ(xct::percentile_window(transposed).high_value, w.high_value);
}

TEST(PngWindow, NonFinitePixelsAreCountedAndLeftOut) {
  auto img = ramp();
  img(0, 0) = std::numeric_limits<float>::quiet_NaN();
  img(3, 4) = std::numeric_limits<float>::infinity();  // would be the maximum if counted
  img(5, 6) = -std::numeric_limits<float>::infinity();
  const auto w = xct::percentile_window(img.cview(), 0.0, 100.0);
  EXPECT_EQ(w.non_finite, 3u);
  EXPECT_TRUE(std::isfinite(w.high_value));
  EXPECT_LE(w.high_value, 999.0);
  EXPECT_GE(w.low_value, 0.0);
  xct::HostArray<float, 2> nans({2, 2}, std::numeric_limits<float>::quiet_NaN());
  const auto none = xct::percentile_window(nans.cview());
  EXPECT_EQ(none.non_finite, 4u);  // nothing finite: an empty 0..0 window
  EXPECT_EQ(none.low_value, 0.0);
  EXPECT_EQ(none.high_value, 0.0);
  xct::test::TempDir tmp;
  xct::write_png_preview(tmp / "nan.png", nans.cview());
  const auto back = xct::read_png_gray8(tmp / "nan.png");
  EXPECT_EQ(back(1, 1), 0);
}

TEST(PngPreview, RoundTripAndPythonDecoderAgree) {
  TempDir tmp;
  auto img = ramp();
  img(2, 3) = std::numeric_limits<float>::quiet_NaN();
  const fs::path file = tmp / "preview.png";
  const auto w = xct::write_png_preview(file, img.cview());
  EXPECT_EQ(w.non_finite, 1u);
  const auto back = xct::read_png_gray8(file);
  ASSERT_EQ(back.shape(), img.shape());
  std::size_t zeros = 0, full = 0;
  for (std::size_t r = 0; r < 25; ++r) {
    for (std::size_t c = 0; c < 40; ++c) {
      ASSERT_EQ(back(r, c), expected_gray(img(r, c), w)) << r << "," << c;
      zeros += back(r, c) == 0;
      full += back(r, c) == 255;
    }
  }
  EXPECT_EQ(back(2, 3), 0);  // NaN drawn black
  // Values 0..5 clip to 0 (plus the NaN pixel), 994..999 (minus the NaN's value, if any)
  // clip to 255: about 0.5 % of 1000 pixels at each end.
  EXPECT_GE(zeros, 5u);
  EXPECT_GE(full, 5u);
  const fs::path raw = tmp / "oracle.bin";
  const auto r = xct::test::run_python(kPngOracle, {file.string(), raw.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // 40 wide, 25 high, bit depth 8, colour type 0 (grey), not interlaced; the window text.
  // The NaN replaced the value 581 (index 83 * 7 mod 1000), so 999 finite values remain and
  // numpy.percentile gives 4.99 and 994.01 for them.
  EXPECT_EQ(r.out, "40 25 8 0 0 p0.5=4.99 p99.5=994.01\n");
  const std::vector<char> oracle = xct::test::read_binary(raw);
  ASSERT_EQ(oracle.size(), back.size());
  EXPECT_TRUE(std::equal(back.begin(), back.end(), oracle.begin(),
                         [](std::uint8_t a, char b) { return a == static_cast<std::uint8_t>(b); }));
  // Only the final file: the temporary name was renamed away.
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp.path()), fs::directory_iterator()), 2);
}

TEST(PngPreview, BadPercentilesAreAUsageError) {
  const auto img = ramp();
  EXPECT_THROW(xct::percentile_window(img.cview(), 60.0, 40.0), xct::Error);
  try {
    xct::percentile_window(img.cview(), -1.0, 50.0);
    ADD_FAILURE() << "no error for a negative percentile";
  } catch (const xct::Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Usage);
  }
}

TEST(PngRead, WrongKindsOfFileAreRefused) {
  TempDir tmp;
  // A minimal valid PNG of colour type argv[2] and bit depth argv[3], written by hand.
  const char* make = R"(
import sys, zlib, struct
def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
w, h, ct, bd = 4, 3, int(sys.argv[2]), int(sys.argv[3])
row = b'\0' + bytes(w * {0: 1, 2: 3}[ct] * bd // 8)
ihdr = struct.pack('>IIBBBBB', w, h, bd, ct, 0, 0, 0)
open(sys.argv[1], 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) +
    chunk(b'IDAT', zlib.compress(row * h)) + chunk(b'IEND', b''))
)";
  struct Case {
    const char* name;
    const char* colour;
    const char* depth;
    bool accepted;
  };
  for (const Case& c : {Case{"grey8.png", "0", "8", true}, Case{"rgb8.png", "2", "8", false},
                        Case{"grey16.png", "0", "16", false}}) {
    const auto r = xct::test::run_python(make, {(tmp / c.name).string(), c.colour, c.depth});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    if (c.accepted) {
      EXPECT_EQ(xct::read_png_gray8(tmp / c.name).shape(), (std::array<std::size_t, 2>{3, 4}));
      continue;
    }
    try {
      xct::read_png_gray8(tmp / c.name);
      ADD_FAILURE() << c.name << " was accepted";
    } catch (const xct::Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::BadData) << e.what();
      EXPECT_NE(std::string(e.what()).find("8-bit greyscale"), std::string::npos) << e.what();
    }
  }
  // A truncated file, a text file and a missing one.
  const auto img = ramp();
  xct::write_png_preview(tmp / "cut.png", img.cview());
  fs::resize_file(tmp / "cut.png", fs::file_size(tmp / "cut.png") / 2);
  std::ofstream(tmp / "text.png") << "not a png\n";
  for (const char* name : {"cut.png", "text.png", "absent.png"}) {
    const ErrorKind want =
        std::string(name) == "absent.png" ? ErrorKind::InputMissing : ErrorKind::BadData;
    try {
      xct::read_png_gray8(tmp / name);
      ADD_FAILURE() << name << " was accepted";
    } catch (const xct::Error& e) {
      EXPECT_EQ(e.kind(), want) << name << ": " << e.what();
    }
  }
}
