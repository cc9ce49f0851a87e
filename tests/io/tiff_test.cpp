// TIFF reading and writing: round trips, tifffile as an independent oracle (reading our files
// and writing files for us: strips, tiles, big-endian, multi-page), the real neutron sinogram,
// and malformed files that must end in a one-line xct::Error, never a crash or a print.
#include "io/tiff.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "tests/support/test_support.hpp"

namespace fs = std::filesystem;
using xct::DType;
using xct::ErrorKind;
using xct::Range;
using xct::test::TempDir;

namespace {

// Runs a Python oracle snippet; a failure of Python itself fails the test with its stderr.
std::string python(const std::string& code, const std::vector<std::string>& args) {
  const auto r = xct::test::run_python("import sys, numpy as np, tifffile\n" + code, args);
  EXPECT_EQ(r.exit_code, 0) << "python failed: " << r.err;
  return r.out;
}

// A raw little-endian dump (numpy's tofile) as values.
template <typename T>
std::vector<T> read_raw(const fs::path& file) {
  const std::vector<char> bytes = xct::test::read_binary(file);
  std::vector<T> out(bytes.size() / sizeof(T));
  std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
  return out;
}

template <typename T>
std::vector<T> read_rows(const fs::path& file, std::size_t page, Range rows, std::size_t cols) {
  std::vector<T> out(rows.size() * cols);
  xct::read_tiff_rows(file, page, rows, xct::dtype_of<T>(), out.data());
  return out;
}

// Runs f, which must throw xct::Error; checks it is of `kind`, one non-empty line, and that
// nothing (libtiff included) was printed on stderr meanwhile.
template <typename F>
std::string expect_error(ErrorKind kind, F&& f) {
  testing::internal::CaptureStderr();
  std::string what;
  try {
    f();
    ADD_FAILURE() << "no xct::Error was thrown";
  } catch (const xct::Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    what = e.what();
  }
  const std::string printed = testing::internal::GetCapturedStderr();
  EXPECT_EQ(printed, "") << "libtiff printed on stderr";
  EXPECT_FALSE(what.empty());
  EXPECT_EQ(what.find('\n'), std::string::npos) << "message is not one line: " << what;
  return what;
}

// Overwrites entry `index` of a tag's value in the first IFD of a little-endian classic TIFF
// (inline or out of line, SHORT or LONG), to forge malformed files from valid ones.
void patch_tag(const fs::path& file, std::uint16_t tag, std::uint32_t index, std::uint32_t value) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  auto u16 = [&](std::uint64_t at) {
    unsigned char b[2];
    f.seekg(static_cast<std::streamoff>(at));
    f.read(reinterpret_cast<char*>(b), 2);
    return static_cast<std::uint32_t>(b[0] | (b[1] << 8));
  };
  auto u32 = [&](std::uint64_t at) { return u16(at) | (u16(at + 2) << 16); };
  ASSERT_EQ(u16(0), 0x4949u) << "not a little-endian TIFF";
  const std::uint32_t ifd = u32(4);
  for (std::uint32_t i = 0; i < u16(ifd); ++i) {
    const std::uint64_t entry = ifd + 2 + 12 * std::uint64_t{i};
    if (u16(entry) != tag) continue;
    const std::uint32_t size = u16(entry + 2) == 3 ? 2 : 4;  // SHORT or LONG
    const std::uint32_t count = u32(entry + 4);
    ASSERT_LT(index, count);
    const std::uint64_t at = (count * size <= 4 ? entry + 8 : u32(entry + 8)) + index * size;
    const unsigned char b[4] = {
        static_cast<unsigned char>(value), static_cast<unsigned char>(value >> 8),
        static_cast<unsigned char>(value >> 16), static_cast<unsigned char>(value >> 24)};
    f.seekp(static_cast<std::streamoff>(at));
    f.write(reinterpret_cast<const char*>(b), size);
    ASSERT_TRUE(f.good());
    return;
  }
  FAIL() << "tag " << tag << " not found in " << file;
}

// A 64 x 64 uint16 ramp written by tifffile with the IFD before the data, `rows_per_strip`.
fs::path tifffile_ramp(const TempDir& tmp, const std::string& name, int rows_per_strip) {
  const fs::path p = tmp / name;
  python(
      "a = np.arange(64 * 64, dtype='<u2').reshape(64, 64)\n"
      "tifffile.imwrite(sys.argv[1], a, photometric='minisblack', rowsperstrip=int(sys.argv[2]))",
      {p.string(), std::to_string(rows_per_strip)});
  return p;
}

}  // namespace

TEST(TiffWrite, FloatRoundTripIsBitExact) {
  TempDir tmp;
  // Odd sizes, negative and subnormal values, infinities and NaN: all must survive unchanged.
  xct::HostArray<float, 2> img({13, 29});
  for (std::size_t i = 0; i < img.size(); ++i) {
    img.data()[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i)) * 1e3 - 17.25);
  }
  img(0, 0) = std::numeric_limits<float>::denorm_min();
  img(1, 1) = std::numeric_limits<float>::quiet_NaN();
  img(2, 2) = -std::numeric_limits<float>::infinity();
  const fs::path file = tmp / "slice.tiff";
  xct::write_tiff_float(file, img.cview());
  const auto info = xct::tiff_info(file);
  EXPECT_EQ(info.n_rows, 13u);
  EXPECT_EQ(info.n_cols, 29u);
  EXPECT_EQ(info.n_pages, 1u);
  EXPECT_EQ(info.dtype, DType::Float32);
  EXPECT_FALSE(info.big_endian);
  const auto back = xct::read_tiff_image(file);
  ASSERT_EQ(back.shape(), img.shape());
  EXPECT_EQ(std::memcmp(back.data(), img.data(), img.size() * sizeof(float)), 0);
  // Nothing but the final file is left in the folder (the temporary name was renamed).
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp.path()), fs::directory_iterator()), 1);
}

TEST(TiffWrite, TifffileReadsOurFloatFileWithTags) {
  TempDir tmp;
  xct::HostArray<float, 2> img({40, 33});
  for (std::size_t i = 0; i < img.size(); ++i)
    img.data()[i] = 0.25f * static_cast<float>(i) - 100;
  const fs::path file = tmp / "recon_00000.tiff";
  const fs::path raw = tmp / "oracle.bin";
  xct::write_tiff_float(file, img.cview());
  const std::string out = python(
      "t = tifffile.TiffFile(sys.argv[1]); p = t.pages[0]; a = p.asarray()\n"
      "print(t.byteorder, a.shape, a.dtype, p.sampleformat, p.photometric, p.compression,\n"
      "      p.tags['SMinSampleValue'].value, p.tags['SMaxSampleValue'].value)\n"
      "a.astype('<f4').tofile(sys.argv[2])",
      {file.string(), raw.string()});
  // '<' little-endian, sample format 3 = IEEE float, photometric 1 = min-is-black,
  // compression 1 = none; min -100 and max 0.25 * (40 * 33 - 1) - 100 = 229.75.
  EXPECT_EQ(out, "< (40, 33) float32 3 1 1 -100.0 229.75\n");
  const auto values = read_raw<float>(raw);
  ASSERT_EQ(values.size(), img.size());
  EXPECT_EQ(std::memcmp(values.data(), img.data(), img.size() * sizeof(float)), 0);
}

TEST(TiffWrite, PagesOfEveryTypeInBothByteOrdersReadByTifffile) {
  TempDir tmp;
  const std::size_t pages = 3, rows = 7, cols = 11;
  for (DType t : {DType::UInt8, DType::UInt16, DType::Float32}) {
    for (bool big : {false, true}) {
      // Values 0..230 fit every type exactly, so one float reference serves all three.
      std::vector<float> ref(pages * rows * cols);
      for (std::size_t i = 0; i < ref.size(); ++i)
        ref[i] = static_cast<float>(i);
      std::vector<std::uint8_t> data(ref.size() * xct::dtype_size(t));
      for (std::size_t i = 0; i < ref.size(); ++i) {
        if (t == DType::UInt8) data[i] = static_cast<std::uint8_t>(i);
        if (t == DType::UInt16) reinterpret_cast<std::uint16_t*>(data.data())[i] = std::uint16_t(i);
        if (t == DType::Float32) reinterpret_cast<float*>(data.data())[i] = ref[i];
      }
      const fs::path file = tmp / (std::string(xct::dtype_name(t)) + (big ? "_be.tif" : "_le.tif"));
      xct::write_tiff_pages(file, t, data.data(), pages, rows, cols, big);
      const fs::path raw = tmp / "oracle.bin";
      const std::string out = python(
          "t = tifffile.TiffFile(sys.argv[1]); a = t.asarray()\n"
          "print(t.byteorder, len(t.pages), a.dtype.name)\n"
          "a.astype('<f4').tofile(sys.argv[2])",
          {file.string(), raw.string()});
      EXPECT_EQ(out, std::string(big ? ">" : "<") + " 3 " + xct::dtype_name(t) + "\n") << file;
      EXPECT_EQ(read_raw<float>(raw), ref) << file;
      const auto info = xct::tiff_info(file);
      EXPECT_EQ(info.big_endian, big);
      EXPECT_EQ(info.n_pages, pages);
      EXPECT_EQ(info.dtype, t);
      // Page 2 read by us equals the third block of the reference.
      const auto page2 = read_rows<float>(file, 2, Range{0, rows}, cols);
      EXPECT_TRUE(std::equal(page2.begin(), page2.end(), ref.begin() + 2 * rows * cols)) << file;
    }
  }
}

TEST(TiffStack, FileNamesHaveFiveDigitsOrAsManyAsTheLastIndexNeeds) {
  const xct::TiffStackWriter five("out", 100000);  // last index 99999: five digits
  EXPECT_EQ(five.digits(), 5u);
  EXPECT_EQ(five.slice_path(0), fs::path("out") / "recon_00000.tiff");
  EXPECT_EQ(five.slice_path(99999), fs::path("out") / "recon_99999.tiff");
  const xct::TiffStackWriter six("out", 100001);  // last index 100000: six digits
  EXPECT_EQ(six.digits(), 6u);
  EXPECT_EQ(six.slice_path(0), fs::path("out") / "recon_000000.tiff");
  EXPECT_EQ(six.slice_path(100000), fs::path("out") / "recon_100000.tiff");
  EXPECT_EQ(xct::TiffStackWriter("out", 3, "rec_").slice_path(2),
            fs::path("out") / "rec_00002.tiff");
}

TEST(TiffStack, SlabWrittenAndReadBackByIndex) {
  TempDir tmp;
  xct::HostArray<float, 3> vol({4, 5, 6});
  for (std::size_t i = 0; i < vol.size(); ++i)
    vol.data()[i] = static_cast<float>(i) * 0.5f;
  xct::TiffStackWriter writer(tmp / "rec", 4);
  writer.write_slab(0, vol.cview());
  EXPECT_TRUE(fs::exists(tmp / "rec" / "recon_00003.tiff"));
  // Slices 1 and 2 only: values start at slice 1's first value, 1 * 5 * 6 * 0.5 = 15.
  const auto back = xct::read_tiff_stack_volume(tmp / "rec", Range{1, 3});
  ASSERT_EQ(back.extent(0), 2u);
  EXPECT_EQ(back(0, 0, 0), 15.0f);
  EXPECT_EQ(std::memcmp(back.data(), vol.data() + 30, back.size() * sizeof(float)), 0);
  expect_error(ErrorKind::InputMissing, [&] {
    xct::read_tiff_stack_volume(tmp / "rec", Range{3, 5});
  });  // no slice 4
}

TEST(TiffRead, RowRangeOfStripsEqualsFullReadAndTifffile) {
  TempDir tmp;
  for (const std::string compression : {"none", "zlib"}) {
    const fs::path file = tmp / ("strips_" + compression + ".tif");
    const fs::path raw = tmp / "oracle.bin";
    // 37 rows in strips of 5 rows: the range 7..23 starts and ends inside strips.
    python(
        "a = np.random.default_rng(7).integers(0, 65535, (37, 29), dtype='u2')\n"
        "c = None if sys.argv[3] == 'none' else sys.argv[3]\n"
        "tifffile.imwrite(sys.argv[1], a, photometric='minisblack', rowsperstrip=5, "
        "compression=c)\n"
        "a.astype('<u2').tofile(sys.argv[2])",
        {file.string(), raw.string(), compression});
    const auto oracle = read_raw<std::uint16_t>(raw);
    const auto full = read_rows<std::uint16_t>(file, 0, Range{0, 37}, 29);
    EXPECT_EQ(full, oracle) << compression;
    const auto part = read_rows<std::uint16_t>(file, 0, Range{7, 23}, 29);
    EXPECT_TRUE(std::equal(part.begin(), part.end(), full.begin() + 7 * 29)) << compression;
    const auto last = read_rows<float>(file, 0, Range{36, 37}, 29);  // the short last strip
    EXPECT_EQ(last[28], static_cast<float>(full[36 * 29 + 28])) << compression;
  }
}

TEST(TiffRead, RowRangeOfTiledFileEqualsFullReadAndTifffile) {
  TempDir tmp;
  const fs::path file = tmp / "tiled.tif";
  const fs::path raw = tmp / "oracle.bin";
  // 50 x 37 in 16 x 16 tiles: the last tile column holds 5 real columns, the last tile row 2.
  python(
      "a = np.random.default_rng(3).normal(size=(50, 37)).astype('f4')\n"
      "tifffile.imwrite(sys.argv[1], a, photometric='minisblack', tile=(16, 16))\n"
      "assert tifffile.TiffFile(sys.argv[1]).pages[0].is_tiled\n"
      "a.astype('<f4').tofile(sys.argv[2])",
      {file.string(), raw.string()});
  const auto oracle = read_raw<float>(raw);
  const auto full = read_rows<float>(file, 0, Range{0, 50}, 37);
  EXPECT_EQ(full, oracle);
  const auto part = read_rows<float>(file, 0, Range{10, 49}, 37);
  EXPECT_TRUE(std::equal(part.begin(), part.end(), full.begin() + 10 * 37));
}

TEST(TiffRead, BigEndianUint16FromTifffile) {
  TempDir tmp;
  const fs::path file = tmp / "be.tif";
  python(
      "a = (np.arange(12 * 9, dtype='u2') * 601).reshape(12, 9)\n"
      "tifffile.imwrite(sys.argv[1], a, byteorder='>', photometric='minisblack')",
      {file.string()});
  const auto info = xct::tiff_info(file);
  EXPECT_TRUE(info.big_endian);
  EXPECT_EQ(info.dtype, DType::UInt16);
  const auto v = read_rows<std::uint16_t>(file, 0, Range{0, 12}, 9);
  // Value i * 601 (mod 65536) at flat index i: 601 = 0x0259 would read 0x5902 unswapped.
  for (std::size_t i = 0; i < v.size(); ++i) {
    ASSERT_EQ(v[i], static_cast<std::uint16_t>(i * 601)) << "index " << i;
  }
}

TEST(TiffRead, MultiPageFileReadsPageK) {
  TempDir tmp;
  const fs::path file = tmp / "stack.tif";
  // Page k holds 1000 * k + flat index, so a wrong page is off by a multiple of 1000.
  python(
      "a = (np.arange(5)[:, None, None] * 1000 + np.arange(6 * 8).reshape(6, 8)).astype('u2')\n"
      "tifffile.imwrite(sys.argv[1], a, photometric='minisblack')",
      {file.string()});
  const auto info = xct::tiff_info(file);
  EXPECT_EQ(info.n_pages, 5u);
  xct::TiffFile tf(file);
  for (std::size_t k : {3u, 0u, 4u, 1u}) {  // out of order: pages are found by offset
    std::vector<std::uint16_t> v(2 * 8);
    tf.read_rows(k, Range{2, 4}, DType::UInt16, v.data());
    EXPECT_EQ(v[0], 1000 * k + 16) << "page " << k;  // row 2, col 0 -> flat index 16
    EXPECT_EQ(v[15], 1000 * k + 31) << "page " << k;
  }
  EXPECT_EQ(xct::read_tiff_image(file, 2)(5, 7), 2047.0f);
  expect_error(ErrorKind::Usage, [&] { xct::read_tiff_image(file, 5); });
}

TEST(TiffRead, RealNeutronSinogramMatchesTifffile) {
  const fs::path file =
      xct::test::real_data_dir() / "sarepy-neutron" / "sinogram_360_neutron_image.tif";
  ASSERT_TRUE(fs::exists(file)) << "real data missing: " << file;
  const auto info = xct::tiff_info(file);
  EXPECT_EQ(info.n_cols, 503u);  // detector columns
  EXPECT_EQ(info.n_rows, 459u);  // angles over 360 degrees
  EXPECT_EQ(info.dtype, DType::UInt16);
  EXPECT_TRUE(info.big_endian);
  TempDir tmp;
  const fs::path raw = tmp / "oracle.bin";
  python("tifffile.imread(sys.argv[1]).astype('<u2').tofile(sys.argv[2])",
         {file.string(), raw.string()});
  EXPECT_EQ(read_rows<std::uint16_t>(file, 0, Range{0, 459}, 503), read_raw<std::uint16_t>(raw));
}

TEST(TiffRead, LossyRequestIsRefused) {
  TempDir tmp;
  xct::HostArray<float, 2> img({2, 2}, 1.5f);
  xct::write_tiff_float(tmp / "f.tiff", img.cview());
  std::vector<std::uint16_t> out(4);
  const std::string what = expect_error(ErrorKind::BadData, [&] {
    xct::read_tiff_rows(tmp / "f.tiff", 0, Range{0, 2}, DType::UInt16, out.data());
  });
  EXPECT_NE(what.find("without loss"), std::string::npos) << what;
}

TEST(TiffMalformed, UnsupportedBitsPerSampleIsBadData) {
  TempDir tmp;
  const fs::path file = tifffile_ramp(tmp, "bits12.tif", 64);
  patch_tag(file, 258, 0, 12);  // BitsPerSample 16 -> 12
  const std::string what = expect_error(ErrorKind::BadData, [&] { xct::tiff_info(file); });
  EXPECT_NE(what.find("12-bit"), std::string::npos) << what;
}

TEST(TiffMalformed, ZeroWidthIsBadData) {
  TempDir tmp;
  const fs::path file = tifffile_ramp(tmp, "width0.tif", 64);
  patch_tag(file, 256, 0, 0);  // ImageWidth 64 -> 0
  expect_error(ErrorKind::BadData, [&] { xct::tiff_info(file); });
  std::vector<std::uint16_t> out(64);
  expect_error(ErrorKind::BadData, [&] {
    xct::read_tiff_rows(file, 0, Range{0, 1}, DType::UInt16, out.data());
  });
}

TEST(TiffMalformed, TruncatedFileIsBadData) {
  TempDir tmp;
  for (int rows_per_strip : {64, 8}) {  // one strip, and eight strips of 1024 bytes
    const fs::path file =
        tifffile_ramp(tmp, "cut" + std::to_string(rows_per_strip) + ".tif", rows_per_strip);
    fs::resize_file(file, fs::file_size(file) - 300);  // the last strip loses 300 bytes
    const std::string what = expect_error(ErrorKind::BadData, [&] { xct::tiff_info(file); });
    EXPECT_NE(what.find("truncated"), std::string::npos) << what;
    std::vector<std::uint16_t> out(64 * 64);
    expect_error(ErrorKind::BadData, [&] {
      xct::read_tiff_rows(file, 0, Range{0, 64}, DType::UInt16, out.data());
    });
  }
}

TEST(TiffMalformed, StripShorterThanItsRowsIsBadData) {
  TempDir tmp;
  const fs::path file = tifffile_ramp(tmp, "short.tif", 8);
  patch_tag(file, 279, 3, 100);  // StripByteCounts[3]: 8 rows x 64 x 2 = 1024 bytes -> 100
  const std::string what = expect_error(ErrorKind::BadData, [&] { xct::tiff_info(file); });
  EXPECT_NE(what.find("strip 3"), std::string::npos) << what;
}

TEST(TiffMalformed, StripOffsetPastTheEndIsBadData) {
  TempDir tmp;
  const fs::path file = tifffile_ramp(tmp, "offset.tif", 8);
  patch_tag(file, 273, 2, 0x7fffffff);  // StripOffsets[2] far beyond the 8 KiB file
  const std::string what = expect_error(ErrorKind::BadData, [&] { xct::tiff_info(file); });
  EXPECT_NE(what.find("outside the file"), std::string::npos) << what;
}

TEST(TiffMalformed, DirectoryLoopIsBadData) {
  TempDir tmp;
  const fs::path file = tifffile_ramp(tmp, "loop.tif", 64);
  // The IFD's next-IFD pointer (after its entries) is set to the IFD itself.
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  std::uint32_t ifd = 0;
  std::uint16_t n = 0;
  f.seekg(4);
  f.read(reinterpret_cast<char*>(&ifd), 4);
  f.seekg(ifd);
  f.read(reinterpret_cast<char*>(&n), 2);
  f.seekp(ifd + 2 + 12 * n);
  f.write(reinterpret_cast<const char*>(&ifd), 4);
  f.close();
  expect_error(ErrorKind::BadData, [&] { xct::tiff_info(file); });
}

TEST(TiffMalformed, ColourAndSignedImagesAreUnsupported) {
  TempDir tmp;
  python(
      "tifffile.imwrite(sys.argv[1], np.zeros((8, 8, 3), 'u1'), photometric='rgb')\n"
      "tifffile.imwrite(sys.argv[2], np.zeros((8, 8), 'i2'), photometric='minisblack')",
      {(tmp / "rgb.tif").string(), (tmp / "int16.tif").string()});
  const std::string rgb =
      expect_error(ErrorKind::BadData, [&] { xct::tiff_info(tmp / "rgb.tif"); });
  EXPECT_EQ(rgb.rfind("unsupported TIFF: ", 0), 0u) << rgb;
  const std::string s16 =
      expect_error(ErrorKind::BadData, [&] { xct::tiff_info(tmp / "int16.tif"); });
  EXPECT_EQ(s16.rfind("unsupported TIFF: ", 0), 0u) << s16;
}

TEST(TiffMalformed, NotATiffIsBadDataAndMissingIsInputMissing) {
  TempDir tmp;
  std::ofstream(tmp / "fake.tif") << "this is not a TIFF file\n";
  expect_error(ErrorKind::BadData, [&] { xct::tiff_info(tmp / "fake.tif"); });
  std::ofstream(tmp / "empty.tif");
  expect_error(ErrorKind::BadData, [&] { xct::tiff_info(tmp / "empty.tif"); });
  expect_error(ErrorKind::InputMissing, [&] { xct::tiff_info(tmp / "absent.tif"); });
}
