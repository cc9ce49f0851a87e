// TIFF reading through libtiff.
//
// Files from beamlines and from the internet are not trusted: every page is checked before a
// sample is read (shape, type, strip or tile table, offsets inside the file, enough bytes for
// the declared rows), libtiff's allocations are capped per handle, and libtiff's messages are
// captured into the thrown xct::Error rather than printed.
#include "io/tiff.hpp"

#include <tiffio.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <vector>

#include "core/error.hpp"
#include "io/tiff_handle.hpp"

namespace fs = std::filesystem;

namespace xct {

using tiff_detail::kMaxImageBytes;
using tiff_detail::one_line;
using tiff_detail::TiffHandle;

namespace {

// How one page stores its samples.
struct PageFormat {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  DType dtype = DType::UInt16;
  bool tiled = false;
  std::uint32_t rows_per_strip = 0;
  std::uint32_t tile_width = 0;
  std::uint32_t tile_height = 0;
  std::uint16_t compression = COMPRESSION_NONE;
};

std::string page_label(const fs::path& file, std::size_t page) {
  return "page " + std::to_string(page) + " of " + file.string();
}

DType sample_type(std::uint16_t bits, std::uint16_t format, const std::string& label) {
  if (format == SAMPLEFORMAT_UINT && bits == 8) return DType::UInt8;
  if (format == SAMPLEFORMAT_UINT && bits == 16) return DType::UInt16;
  if (format == SAMPLEFORMAT_IEEEFP && bits == 32) return DType::Float32;
  const char* kind = format == SAMPLEFORMAT_UINT     ? "unsigned"
                     : format == SAMPLEFORMAT_INT    ? "signed"
                     : format == SAMPLEFORMAT_IEEEFP ? "float"
                                                     : "unknown-format";
  XCT_THROW(ErrorKind::BadData, "unsupported TIFF: ", label, " has ", bits, "-bit ", kind,
            " samples (supported: uint8, uint16, float32)");
}

// Reads and checks the tags of the current directory.
PageFormat read_page_format(TIFF* tif, const std::string& label) {
  PageFormat f;
  TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &f.width);
  TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &f.height);
  XCT_CHECK(f.width > 0 && f.height > 0, ErrorKind::BadData, "bad TIFF: ", label,
            " declares an empty image (", f.width, " x ", f.height, " pixels)");
  std::uint16_t spp = 1, bits = 1, format = SAMPLEFORMAT_UINT, photometric = PHOTOMETRIC_MINISBLACK;
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
  XCT_CHECK(spp == 1, ErrorKind::BadData, "unsupported TIFF: ", label, " has ", spp,
            " samples per pixel (colour or extra channels); only greyscale images are read");
  if (TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photometric) == 1) {
    XCT_CHECK(photometric == PHOTOMETRIC_MINISBLACK || photometric == PHOTOMETRIC_MINISWHITE,
              ErrorKind::BadData, "unsupported TIFF: ", label, " has photometric interpretation ",
              photometric, " (palette, colour or mask); only greyscale images are read");
  }
  TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bits);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &format);
  f.dtype = sample_type(bits, format, label);
  XCT_CHECK(std::uint64_t{f.width} * f.height <= kMaxImageBytes / dtype_size(f.dtype),
            ErrorKind::BadData, "bad TIFF: ", label, " declares an image of ", f.width, " x ",
            f.height, " pixels, too large to be real");
  TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &f.compression);
  XCT_CHECK(TIFFIsCODECConfigured(f.compression), ErrorKind::BadData, "unsupported TIFF: ", label,
            " uses compression scheme ", f.compression, ", which this libtiff cannot decode");
  f.tiled = TIFFIsTiled(tif) != 0;
  if (f.tiled) {
    TIFFGetField(tif, TIFFTAG_TILEWIDTH, &f.tile_width);
    TIFFGetField(tif, TIFFTAG_TILELENGTH, &f.tile_height);
    XCT_CHECK(f.tile_width > 0 && f.tile_height > 0, ErrorKind::BadData, "bad TIFF: ", label,
              " declares tiles of ", f.tile_width, " x ", f.tile_height, " pixels");
  } else {
    TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &f.rows_per_strip);
    XCT_CHECK(f.rows_per_strip > 0, ErrorKind::BadData, "bad TIFF: ", label,
              " declares 0 rows per strip");
    f.rows_per_strip = std::min(f.rows_per_strip, f.height);
  }
  return f;
}

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) {
  return (a + b - 1) / b;
}

// Bytes that strip or tile `i` must hold once decoded (and, uncompressed, as stored).
std::uint64_t decoded_bytes(const PageFormat& f, std::uint64_t i) {
  const std::uint64_t sample = dtype_size(f.dtype);
  if (f.tiled) return std::uint64_t{f.tile_width} * f.tile_height * sample;
  const std::uint64_t first_row = i * f.rows_per_strip;
  const std::uint64_t rows = std::min<std::uint64_t>(f.rows_per_strip, f.height - first_row);
  return rows * f.width * sample;
}

// No codec expands a strip by more than this: deflate about 1000-fold, LZW about 3000-fold,
// zstd and LZMA more only on constant data. A compressed strip declaring more pixels is bogus,
// and trusting it would allocate memory for pixels that are not in the file.
constexpr std::uint64_t kMaxExpansion = std::uint64_t{1} << 16;

// Checks the strip or tile table of the current directory against the file: a truncated
// file or bogus offsets must fail here with a clear message, not later inside a codec.
void check_page_data(TIFF* tif, const PageFormat& f, std::uint64_t file_size,
                     const std::string& label) {
  const char* unit = f.tiled ? "tile" : "strip";
  const std::uint64_t expected =
      f.tiled ? ceil_div(f.width, f.tile_width) * ceil_div(f.height, f.tile_height)
              : ceil_div(f.height, f.rows_per_strip);
  const std::uint64_t n = f.tiled ? TIFFNumberOfTiles(tif) : TIFFNumberOfStrips(tif);
  XCT_CHECK(n == expected, ErrorKind::BadData, "bad TIFF: ", label, " has ", n, " ", unit,
            "s where its size needs ", expected);
  for (std::uint64_t i = 0; i < n; ++i) {
    int err = 0;
    const auto s = static_cast<std::uint32_t>(i);
    const std::uint64_t offset = TIFFGetStrileOffsetWithErr(tif, s, &err);
    const std::uint64_t count = err ? 0 : TIFFGetStrileByteCountWithErr(tif, s, &err);
    XCT_CHECK(!err && count > 0 && offset > 0, ErrorKind::BadData, "bad TIFF: ", unit, " ", i,
              " of ", label, " has no data (offset ", offset, ", ", count,
              " bytes): truncated, or a missing or wrong byte count");
    XCT_CHECK(offset <= file_size && count <= file_size - offset, ErrorKind::BadData,
              "bad TIFF: ", unit, " ", i, " of ", label, " lies outside the file (bytes ", offset,
              "+", count, " of a ", file_size, "-byte file): truncated, or bogus offsets");
    const std::uint64_t need = decoded_bytes(f, i);
    XCT_CHECK(f.compression != COMPRESSION_NONE || count >= need, ErrorKind::BadData,
              "bad TIFF: ", unit, " ", i, " of ", label, " holds ", count, " bytes but needs ",
              need, " for its pixels: truncated, or a wrong byte count");
    XCT_CHECK(f.compression == COMPRESSION_NONE || need / kMaxExpansion <= count,
              ErrorKind::BadData, "bad TIFF: ", unit, " ", i, " of ", label, " holds ", count,
              " compressed bytes for ", need,
              " bytes of pixels, more than any codec expands: ", "bogus image size or byte count");
  }
}

std::string format_text(const TiffImageInfo& info) {
  return std::to_string(info.n_rows) + " x " + std::to_string(info.n_cols) + " " +
         dtype_name(info.dtype);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Reading

struct TiffFile::Impl {
  fs::path path;
  std::optional<TiffHandle> handle;
  TiffImageInfo info;
  std::vector<PageFormat> pages;
  std::vector<std::uint64_t> dir_offsets;  // to jump to a page without walking the chain
  std::size_t current_page = 0;
  std::vector<std::uint8_t> buffer;  // one decoded strip or tile

  void open();
  void add_page(std::uint64_t file_size);
  void select_page(std::size_t page);
  void read_strips(const PageFormat& f, Range rows, DType out_type, std::uint8_t* out);
  void read_tiles(const PageFormat& f, Range rows, DType out_type, std::uint8_t* out);
  [[noreturn]] void fail_decode(const char* unit, std::uint64_t i, std::size_t page) const {
    XCT_THROW(ErrorKind::BadData, "cannot decode ", unit, " ", i, " of ", page_label(path, page),
              handle->said());
  }
};

void TiffFile::Impl::open() {
  std::error_code ec;
  XCT_CHECK(fs::exists(path, ec), ErrorKind::InputMissing, "TIFF file not found: ", path.string());
  XCT_CHECK(fs::is_regular_file(path, ec), ErrorKind::BadData, path.string(),
            " is not a regular file");
  const std::uint64_t file_size = fs::file_size(path, ec);
  XCT_CHECK(!ec, ErrorKind::BadData, "cannot read the size of ", path.string(), ": ", ec.message());
  // "m": no memory mapping, so a file truncated while open gives an error, not SIGBUS.
  handle.emplace(path, "rm");
  XCT_CHECK(handle->is_open(), ErrorKind::BadData, "not a readable TIFF file: ", path.string(),
            handle->said());
  for (;;) {
    add_page(file_size);
    if (TIFFLastDirectory(handle->get())) break;
    XCT_CHECK(TIFFReadDirectory(handle->get()) == 1, ErrorKind::BadData, "bad TIFF: cannot read ",
              page_label(path, pages.size()), handle->said());
  }
  current_page = pages.size() - 1;
  info.n_pages = pages.size();
  info.big_endian = TIFFIsBigEndian(handle->get()) != 0;
}

void TiffFile::Impl::add_page(std::uint64_t file_size) {
  TIFF* tif = handle->get();
  const std::string label = page_label(path, pages.size());
  const PageFormat f = read_page_format(tif, label);
  check_page_data(tif, f, file_size, label);
  if (pages.empty()) {
    info.n_cols = f.width;
    info.n_rows = f.height;
    info.dtype = f.dtype;
  } else {
    XCT_CHECK(f.width == info.n_cols && f.height == info.n_rows && f.dtype == info.dtype,
              ErrorKind::BadData, "TIFF pages differ: ", label, " is ", f.height, " x ", f.width,
              " ", dtype_name(f.dtype), " but page 0 is ", format_text(info));
  }
  pages.push_back(f);
  dir_offsets.push_back(TIFFCurrentDirOffset(tif));
}

void TiffFile::Impl::select_page(std::size_t page) {
  if (page == current_page) return;
  XCT_CHECK(TIFFSetSubDirectory(handle->get(), dir_offsets[page]) == 1, ErrorKind::BadData,
            "cannot go to ", page_label(path, page), handle->said());
  current_page = page;
}

void TiffFile::Impl::read_strips(const PageFormat& f, Range rows, DType out_type,
                                 std::uint8_t* out) {
  const std::size_t row_bytes = std::size_t{f.width} * dtype_size(f.dtype);
  const std::size_t out_row_bytes = std::size_t{f.width} * dtype_size(out_type);
  buffer.resize(std::size_t{f.rows_per_strip} * row_bytes);
  for (std::size_t s = rows.begin / f.rows_per_strip; s * f.rows_per_strip < rows.end; ++s) {
    const std::size_t first = s * f.rows_per_strip;
    const auto want = static_cast<tmsize_t>(decoded_bytes(f, s));
    const tmsize_t got =
        TIFFReadEncodedStrip(handle->get(), static_cast<std::uint32_t>(s), buffer.data(), want);
    if (got != want) fail_decode("strip", s, current_page);
    const std::size_t r0 = std::max(rows.begin, first);
    const std::size_t r1 = std::min<std::size_t>(rows.end, first + f.rows_per_strip);
    convert_samples(f.dtype, buffer.data() + (r0 - first) * row_bytes, out_type,
                    out + (r0 - rows.begin) * out_row_bytes, (r1 - r0) * f.width);
  }
}

void TiffFile::Impl::read_tiles(const PageFormat& f, Range rows, DType out_type,
                                std::uint8_t* out) {
  const std::size_t in_size = dtype_size(f.dtype);
  const std::size_t out_size = dtype_size(out_type);
  const auto want = static_cast<tmsize_t>(decoded_bytes(f, 0));
  buffer.resize(static_cast<std::size_t>(want));
  const std::size_t ty0 = rows.begin / f.tile_height * f.tile_height;
  for (std::size_t ty = ty0; ty < rows.end; ty += f.tile_height) {
    for (std::size_t tx = 0; tx < f.width; tx += f.tile_width) {
      const std::uint32_t tile = TIFFComputeTile(handle->get(), static_cast<std::uint32_t>(tx),
                                                 static_cast<std::uint32_t>(ty), 0, 0);
      if (TIFFReadEncodedTile(handle->get(), tile, buffer.data(), want) != want) {
        fail_decode("tile", tile, current_page);
      }
      const std::size_t r0 = std::max(rows.begin, ty);
      const std::size_t r1 = std::min<std::size_t>(rows.end, ty + f.tile_height);
      const std::size_t n_cols = std::min<std::size_t>(f.tile_width, f.width - tx);
      for (std::size_t r = r0; r < r1; ++r) {
        const std::uint8_t* src = buffer.data() + (r - ty) * f.tile_width * in_size;
        std::uint8_t* dst = out + ((r - rows.begin) * f.width + tx) * out_size;
        convert_samples(f.dtype, src, out_type, dst, n_cols);
      }
    }
  }
}

TiffFile::TiffFile(const fs::path& file) : impl_(std::make_unique<Impl>()) {
  impl_->path = file;
  impl_->open();
}
TiffFile::~TiffFile() = default;
TiffFile::TiffFile(TiffFile&&) noexcept = default;
TiffFile& TiffFile::operator=(TiffFile&&) noexcept = default;

const TiffImageInfo& TiffFile::info() const {
  return impl_->info;
}
const fs::path& TiffFile::path() const {
  return impl_->path;
}

void TiffFile::read_rows(std::size_t page, Range rows, DType out_type, void* out) {
  const TiffImageInfo& info = impl_->info;
  XCT_CHECK(page < info.n_pages, ErrorKind::Usage, "page ", page, " asked of ",
            impl_->path.string(), ", which has ", info.n_pages);
  XCT_CHECK(rows.begin <= rows.end && rows.end <= info.n_rows, ErrorKind::Usage, "rows ",
            rows.begin, "..", rows.end, " lie outside the ", info.n_rows, " rows of ",
            impl_->path.string());
  XCT_CHECK(converts_exactly(info.dtype, out_type), ErrorKind::BadData, "cannot read the ",
            dtype_name(info.dtype), " samples of ", impl_->path.string(), " as ",
            dtype_name(out_type), " without loss");
  if (rows.size() == 0) return;
  impl_->select_page(page);
  const PageFormat& f = impl_->pages[page];
  auto* dst = static_cast<std::uint8_t*>(out);
  if (f.tiled) {
    impl_->read_tiles(f, rows, out_type, dst);
  } else {
    impl_->read_strips(f, rows, out_type, dst);
  }
}

TiffImageInfo tiff_info(const fs::path& file) {
  return TiffFile(file).info();
}

void read_tiff_rows(const fs::path& file, std::size_t page, Range rows, DType out_type, void* out) {
  TiffFile(file).read_rows(page, rows, out_type, out);
}

HostArray<float, 2> read_tiff_image(const fs::path& file, std::size_t page) {
  TiffFile f(file);
  HostArray<float, 2> out({f.info().n_rows, f.info().n_cols});
  f.read_rows(page, Range{0, f.info().n_rows}, DType::Float32, out.data());
  return out;
}

// ---------------------------------------------------------------------------------------------
// Stacks of slices

namespace {

// Slice files <prefix><digits>.tif(f) in `folder`, by index.
std::map<std::size_t, fs::path> list_slices(const fs::path& folder, const std::string& prefix) {
  std::map<std::size_t, fs::path> slices;
  for (const auto& entry : fs::directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    const std::string ext = entry.path().extension().string();
    if (name.rfind(prefix, 0) != 0 || (ext != ".tiff" && ext != ".tif") ||
        name.size() <= prefix.size() + ext.size()) {
      continue;
    }
    const std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - ext.size());
    if (digits.empty() || digits.size() > 18 ||
        digits.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    const auto [it, added] = slices.emplace(std::stoull(digits), entry.path());
    XCT_CHECK(added, ErrorKind::BadData, "two files hold slice ", it->first, ": ",
              it->second.string(), " and ", entry.path().string());
  }
  return slices;
}

}  // namespace

HostArray<float, 3> read_tiff_stack_volume(const fs::path& folder, Range z,
                                           const std::string& prefix) {
  std::error_code ec;
  XCT_CHECK(fs::is_directory(folder, ec), ErrorKind::InputMissing,
            "TIFF stack folder not found: ", folder.string());
  if (z.size() == 0) return HostArray<float, 3>({0, 0, 0});
  const auto slices = list_slices(folder, prefix);
  HostArray<float, 3> volume;
  for (std::size_t k = z.begin; k < z.end; ++k) {
    const auto it = slices.find(k);
    XCT_CHECK(it != slices.end(), ErrorKind::InputMissing, "slice ", k, " (", prefix, "...",
              ".tiff) not found in ", folder.string());
    TiffFile f(it->second);
    if (k == z.begin) volume = HostArray<float, 3>({z.size(), f.info().n_rows, f.info().n_cols});
    XCT_CHECK(f.info().n_rows == volume.extent(1) && f.info().n_cols == volume.extent(2),
              ErrorKind::BadData, it->second.string(), " is ", format_text(f.info()),
              " but the first slice read is ", volume.extent(1), " x ", volume.extent(2));
    f.read_rows(0, Range{0, f.info().n_rows}, DType::Float32, volume.view()[k - z.begin].data());
  }
  return volume;
}

}  // namespace xct
