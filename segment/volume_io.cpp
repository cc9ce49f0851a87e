// Volumes in (TIFF slices, multi-page TIFF, HDF5) and labels out (TIFF stack, HDF5) for
// `xct segment`. uint8, uint16 and float32 TIFF pages go through io/tiff.hpp's checked reader;
// int16 and float64 pages, which it does not read, are decoded here through libtiff with the
// same allocation cap and a check of the strip or tile table against the file size.
#include "segment/volume_io.hpp"

#include <hdf5.h>
#include <tiffio.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <cstring>
#include <exception>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "io/hdf5.hpp"
#include "io/tiff.hpp"
#include "io/tiff_handle.hpp"
#include "segment/labels.hpp"

namespace fs = std::filesystem;

namespace xct::seg {

namespace {

using tiff_detail::TiffHandle;

constexpr std::size_t kOpen = std::numeric_limits<std::size_t>::max();
const char* const kAccepted = "accepted: float32, float64, uint8, uint16, int16";
const char* const kLabelPrefix = "labels_";

std::string lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool is_tiff_name(const fs::path& p) {
  const std::string ext = lower(p.extension().string());
  return ext == ".tif" || ext == ".tiff";
}

// Name order with runs of digits compared as numbers: slice_2 before slice_10.
bool natural_less(const std::string& a, const std::string& b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const bool da = std::isdigit(static_cast<unsigned char>(a[i])) != 0;
    const bool db = std::isdigit(static_cast<unsigned char>(b[j])) != 0;
    if (da && db) {
      std::size_t ie = i, je = j;
      while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie])))
        ++ie;
      while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je])))
        ++je;
      std::string na = a.substr(i, ie - i), nb = b.substr(j, je - j);
      na.erase(0, std::min(na.find_first_not_of('0'), na.size()));
      nb.erase(0, std::min(nb.find_first_not_of('0'), nb.size()));
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = ie, j = je;
      continue;
    }
    if (a[i] != b[j]) return a[i] < b[j];
    ++i, ++j;
  }
  if ((a.size() - i) != (b.size() - j)) return a.size() - i < b.size() - j;
  return a < b;
}

// "key=value; key=value" pairs of an ImageDescription written by xct.
std::optional<std::string> description_value(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ';')) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) continue;
    std::string k = item.substr(0, eq), v = item.substr(eq + 1);
    k.erase(0, k.find_first_not_of(' '));
    k.erase(k.find_last_not_of(' ') + 1);
    v.erase(0, v.find_first_not_of(' '));
    v.erase(v.find_last_not_of(' ') + 1);
    if (k == key) return v;
  }
  return std::nullopt;
}

std::optional<double> description_number(const std::string& text, const std::string& key) {
  const auto v = description_value(text, key);
  if (!v) return std::nullopt;
  char* end = nullptr;
  const double d = std::strtod(v->c_str(), &end);
  if (end == v->c_str() || !std::isfinite(d)) return std::nullopt;
  return d;
}

// report.json of xct recon beside the volume: its output's voxel size and units.
void from_report(const fs::path& folder, VolumeInfo& info) {
  std::ifstream in(folder / "report.json");
  if (!in) return;
  try {
    const nlohmann::json doc = nlohmann::json::parse(in);
    const auto& out = doc.at("output");
    if (!info.voxel_size_um && out.contains("voxel_size_um") && out["voxel_size_um"].is_number()) {
      info.voxel_size_um = out["voxel_size_um"].get<double>();
      info.voxel_size_from = "report.json";
    }
    if (info.units.empty() && out.contains("units") && out["units"].is_string())
      info.units = out["units"].get<std::string>();
  } catch (const std::exception&) {
    // Not xct's report, or damaged: it only ever adds metadata.
  }
}

// ---- TIFF ---------------------------------------------------------------------------------

enum class Sample { U8, U16, I16, F32, F64 };

const char* sample_name(Sample s) {
  switch (s) {
    case Sample::U8:
      return "uint8";
    case Sample::U16:
      return "uint16";
    case Sample::I16:
      return "int16";
    case Sample::F32:
      return "float32";
    case Sample::F64:
      return "float64";
  }
  return "?";
}

std::size_t sample_bytes(Sample s) {
  switch (s) {
    case Sample::U8:
      return 1;
    case Sample::U16:
    case Sample::I16:
      return 2;
    case Sample::F32:
      return 4;
    case Sample::F64:
      return 8;
  }
  return 1;
}

struct TiffPage {
  std::uint32_t width = 0, height = 0;
  Sample sample = Sample::F32;
  std::size_t pages = 0;
  std::string description;
};

// The sample type of the current directory, or BadData naming the file and what it holds.
Sample page_sample(TIFF* tif, const fs::path& file) {
  std::uint16_t spp = 1, bits = 1, format = SAMPLEFORMAT_UINT, photometric = PHOTOMETRIC_MINISBLACK;
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
  TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bits);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &format);
  const bool has_photometric = TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photometric) == 1;
  const std::string where = "unsupported volume: " + file.string() + " holds ";
  XCT_CHECK(spp == 1, ErrorKind::BadData, where,
            photometric == PHOTOMETRIC_RGB ? "RGB" : std::to_string(spp) + "-channel", " images (",
            spp, " samples per pixel; ", kAccepted, ", greyscale)");
  XCT_CHECK(!has_photometric || photometric == PHOTOMETRIC_MINISBLACK ||
                photometric == PHOTOMETRIC_MINISWHITE,
            ErrorKind::BadData, where,
            photometric == PHOTOMETRIC_PALETTE ? "palette colour" : "non-greyscale",
            " images (photometric ", photometric, "; ", kAccepted, ", greyscale)");
  if (format == SAMPLEFORMAT_UINT && bits == 8) return Sample::U8;
  if (format == SAMPLEFORMAT_UINT && bits == 16) return Sample::U16;
  if (format == SAMPLEFORMAT_INT && bits == 16) return Sample::I16;
  if (format == SAMPLEFORMAT_IEEEFP && bits == 32) return Sample::F32;
  if (format == SAMPLEFORMAT_IEEEFP && bits == 64) return Sample::F64;
  const std::string b = std::to_string(bits);
  const std::string name = format == SAMPLEFORMAT_UINT            ? "uint" + b
                           : format == SAMPLEFORMAT_INT           ? "int" + b
                           : format == SAMPLEFORMAT_IEEEFP        ? "float" + b
                           : format == SAMPLEFORMAT_COMPLEXINT    ? "complex int" + b
                           : format == SAMPLEFORMAT_COMPLEXIEEEFP ? "complex" + b
                                                                  : b + "-bit untyped";
  XCT_THROW(ErrorKind::BadData, where, name, " samples (", kAccepted, ")");
}

// Shape, type, page count and description (first page) of a TIFF file.
TiffPage probe_tiff(const fs::path& file) {
  std::error_code ec;
  XCT_CHECK(fs::exists(file, ec), ErrorKind::InputMissing, "TIFF file not found: ", file.string());
  TiffHandle h(file, "rm");
  XCT_CHECK(h.is_open(), ErrorKind::BadData, "not a readable TIFF file: ", file.string(), h.said());
  TIFF* tif = h.get();
  TiffPage p;
  TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &p.width);
  TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &p.height);
  p.sample = page_sample(tif, file);
  XCT_CHECK(p.width > 0 && p.height > 0, ErrorKind::BadData, "empty volume: ", file.string(),
            " holds an image of ", p.height, " x ", p.width, " pixels");
  char* text = nullptr;
  if (TIFFGetField(tif, TIFFTAG_IMAGEDESCRIPTION, &text) == 1 && text != nullptr)
    p.description = text;
  p.pages = TIFFNumberOfDirectories(tif);
  XCT_CHECK(p.pages > 0, ErrorKind::BadData, "bad TIFF: ", file.string(), " holds no page",
            h.said());
  return p;
}

// Strip or tile table of the current directory inside the file: a truncated file fails here
// with a clear message, not later inside a codec.
void check_strile_table(TIFF* tif, const fs::path& file, std::size_t page, std::uint64_t size) {
  const bool tiled = TIFFIsTiled(tif) != 0;
  const std::uint64_t n = tiled ? TIFFNumberOfTiles(tif) : TIFFNumberOfStrips(tif);
  XCT_CHECK(n > 0, ErrorKind::BadData, "bad TIFF: page ", page, " of ", file.string(),
            " has no image data");
  for (std::uint64_t i = 0; i < n; ++i) {
    int err = 0;
    const auto s = static_cast<std::uint32_t>(i);
    const std::uint64_t offset = TIFFGetStrileOffsetWithErr(tif, s, &err);
    const std::uint64_t count = err ? 0 : TIFFGetStrileByteCountWithErr(tif, s, &err);
    XCT_CHECK(!err && count > 0 && offset > 0 && offset <= size && count <= size - offset,
              ErrorKind::BadData, "bad TIFF: ", tiled ? "tile " : "strip ", i, " of page ", page,
              " of ", file.string(), " lies outside the file (bytes ", offset, "+", count, " of ",
              size, "): truncated, or bogus offsets");
  }
}

template <typename T>
void widen_row(const std::uint8_t* src, std::size_t n, float* dst) {
  for (std::size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, src + i * sizeof(T), sizeof(T));
    dst[i] = static_cast<float>(v);
  }
}

void widen(Sample s, const std::uint8_t* src, std::size_t n, float* dst) {
  if (s == Sample::I16) {
    widen_row<std::int16_t>(src, n, dst);
  } else {
    widen_row<double>(src, n, dst);
  }
}

// One TIFF file open for reading pages of the volume's type and shape as float32: uint8,
// uint16 and float32 through io's TiffFile, int16 and float64 decoded here. Pages read in
// ascending order cost one directory step each.
class TiffPageReader {
 public:
  TiffPageReader(const fs::path& file, const TiffPage& expect) : file_(file), expect_(expect) {
    if (native()) {
      std::error_code ec;
      size_ = fs::file_size(file, ec);
      XCT_CHECK(!ec, ErrorKind::BadData, "cannot read the size of ", file.string(), ": ",
                ec.message());
      handle_.emplace(file, "rm");
      XCT_CHECK(handle_->is_open(), ErrorKind::BadData, "not a readable TIFF file: ", file.string(),
                handle_->said());
      return;
    }
    io_.emplace(file);
    const TiffImageInfo& i = io_->info();
    XCT_CHECK(i.n_cols == expect.width && i.n_rows == expect.height &&
                  std::string(dtype_name(i.dtype)) == sample_name(expect.sample),
              ErrorKind::BadData, file.string(), " is ", i.n_rows, " x ", i.n_cols, " ",
              dtype_name(i.dtype), " where the volume's slices are ", expect.height, " x ",
              expect.width, " ", sample_name(expect.sample));
  }

  // Rows `rows`, columns `cols` of `page` into `out` (rows x cols).
  void read(std::size_t page, Range rows, Range cols, float* out) {
    if (native()) {
      read_native(page, rows, cols, out);
      return;
    }
    const TiffImageInfo& i = io_->info();
    XCT_CHECK(page < i.n_pages, ErrorKind::BadData, file_.string(), " has ", i.n_pages,
              " pages, not ", page + 1);
    if (cols.begin == 0 && cols.end == i.n_cols) {
      io_->read_rows(page, rows, DType::Float32, out);
      return;
    }
    full_.resize(rows.size() * i.n_cols);
    io_->read_rows(page, rows, DType::Float32, full_.data());
    for (std::size_t r = 0; r < rows.size(); ++r)
      std::copy_n(full_.data() + r * i.n_cols + cols.begin, cols.size(), out + r * cols.size());
  }

 private:
  bool native() const { return expect_.sample == Sample::I16 || expect_.sample == Sample::F64; }
  void select_page(std::size_t page);
  void read_native(std::size_t page, Range rows, Range cols, float* out);

  fs::path file_;
  TiffPage expect_;
  std::optional<TiffFile> io_;
  std::optional<TiffHandle> handle_;
  std::size_t current_ = 0;
  std::uint64_t size_ = 0;
  std::vector<float> full_;
};

void TiffPageReader::select_page(std::size_t page) {
  TIFF* tif = handle_->get();
  if (page != current_) {
    const bool next = page == current_ + 1 && TIFFReadDirectory(tif) == 1;
    XCT_CHECK(next || TIFFSetDirectory(tif, static_cast<tdir_t>(page)) == 1, ErrorKind::BadData,
              "bad TIFF: cannot read page ", page, " of ", file_.string(), handle_->said());
    current_ = page;
  }
  std::uint32_t width = 0, height = 0;
  TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &width);
  TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &height);
  const Sample s = page_sample(tif, file_);
  XCT_CHECK(width == expect_.width && height == expect_.height && s == expect_.sample,
            ErrorKind::BadData, "page ", page, " of ", file_.string(), " is ", height, " x ", width,
            " ", sample_name(s), " where the volume's slices are ", expect_.height, " x ",
            expect_.width, " ", sample_name(expect_.sample));
  std::uint16_t compression = COMPRESSION_NONE;
  TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &compression);
  XCT_CHECK(TIFFIsCODECConfigured(compression), ErrorKind::BadData,
            "unsupported TIFF: ", file_.string(), " uses compression scheme ", compression,
            ", which this libtiff cannot decode");
  check_strile_table(tif, file_, page, size_);
}

void TiffPageReader::read_native(std::size_t page, Range rows, Range cols, float* out) {
  select_page(page);
  TIFF* tif = handle_->get();
  const fs::path& file = file_;
  TiffHandle& h = *handle_;
  const Sample s = expect_.sample;
  const std::uint32_t width = expect_.width, height = expect_.height;
  const std::size_t bytes = sample_bytes(s);
  const std::size_t ncols = cols.size();
  if (TIFFIsTiled(tif)) {
    std::uint32_t tw = 0, th = 0;
    TIFFGetField(tif, TIFFTAG_TILEWIDTH, &tw);
    TIFFGetField(tif, TIFFTAG_TILELENGTH, &th);
    XCT_CHECK(tw > 0 && th > 0, ErrorKind::BadData, "bad TIFF: ", file.string(),
              " declares tiles of ", tw, " x ", th, " pixels");
    const std::size_t tile_bytes = std::size_t{tw} * th * bytes;
    XCT_CHECK(static_cast<std::size_t>(TIFFTileSize(tif)) == tile_bytes, ErrorKind::BadData,
              "bad TIFF: ", file.string(), " has tiles of ", TIFFTileSize(tif),
              " bytes where its tags need ", tile_bytes);
    std::vector<std::uint8_t> buf(tile_bytes);
    std::vector<float> line(tw);
    for (std::size_t ty = rows.begin / th * th; ty < rows.end; ty += th) {
      for (std::size_t tx = cols.begin / tw * tw; tx < cols.end; tx += tw) {
        const auto tile = TIFFComputeTile(tif, static_cast<std::uint32_t>(tx),
                                          static_cast<std::uint32_t>(ty), 0, 0);
        XCT_CHECK(
            TIFFReadEncodedTile(tif, tile, buf.data(), static_cast<tmsize_t>(tile_bytes)) >= 0,
            ErrorKind::BadData, "cannot decode tile ", tile, " of page ", page, " of ",
            file.string(), h.said());
        const std::size_t r0 = std::max<std::size_t>(ty, rows.begin);
        const std::size_t r1 = std::min<std::size_t>(ty + th, rows.end);
        const std::size_t c0 = std::max<std::size_t>(tx, cols.begin);
        const std::size_t c1 = std::min<std::size_t>(tx + tw, cols.end);
        for (std::size_t r = r0; r < r1; ++r) {
          widen(s, buf.data() + ((r - ty) * tw + (c0 - tx)) * bytes, c1 - c0, line.data());
          std::copy_n(line.data(), c1 - c0, out + (r - rows.begin) * ncols + (c0 - cols.begin));
        }
      }
    }
    return;
  }
  std::uint32_t rps = 0;
  TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &rps);
  XCT_CHECK(rps > 0, ErrorKind::BadData, "bad TIFF: ", file.string(), " declares 0 rows per strip");
  rps = std::min(rps, height);
  const std::size_t row_bytes = std::size_t{width} * bytes;
  std::vector<std::uint8_t> buf(std::size_t{rps} * row_bytes);
  for (std::size_t strip = rows.begin / rps; strip * rps < rows.end; ++strip) {
    const std::size_t first = strip * rps;
    const std::size_t n = std::min<std::size_t>(rps, height - first);
    const tmsize_t got = TIFFReadEncodedStrip(tif, static_cast<std::uint32_t>(strip), buf.data(),
                                              static_cast<tmsize_t>(n * row_bytes));
    XCT_CHECK(got == static_cast<tmsize_t>(n * row_bytes), ErrorKind::BadData,
              "cannot decode strip ", strip, " of page ", page, " of ", file.string(), h.said());
    const std::size_t r0 = std::max(first, rows.begin), r1 = std::min(first + n, rows.end);
    for (std::size_t r = r0; r < r1; ++r)
      widen(s, buf.data() + (r - first) * row_bytes + cols.begin * bytes, ncols,
            out + (r - rows.begin) * ncols);
  }
}

void apply_description(const std::string& text, VolumeInfo& info) {
  if (text.empty()) return;
  if (const auto v = description_number(text, "voxel_size_um")) {
    info.voxel_size_um = *v;
    info.voxel_size_from = "tiff description";
  }
  if (const auto u = description_value(text, "units")) info.units = *u;
  if (info.dtype == "uint16" && description_value(text, "value")) {
    info.value_offset = description_number(text, "offset").value_or(0.0);
    info.value_scale = description_number(text, "scale").value_or(1.0);
  }
}

// ---- HDF5 ---------------------------------------------------------------------------------

bool hdf5_accepts(const h5::DatasetInfo& i) {
  if (i.type_class == h5::TypeClass::Float) return i.type_size == 4 || i.type_size == 8;
  if (i.type_class != h5::TypeClass::Integer) return false;
  return i.is_signed ? i.type_size == 2 : (i.type_size == 1 || i.type_size == 2);
}

// The stored type as a user knows it: "int64", "float16", "complex64" (h5py's complex is a
// compound of two floats) ...
std::string hdf5_type_label(const h5::Dataset& d, const h5::DatasetInfo& i) {
  if (i.type_class != h5::TypeClass::Other) return i.type_name();
  h5::Datatype t(H5Dget_type(d.id()));
  if (!t.valid()) return i.type_name();
  switch (H5Tget_class(t.id())) {
    case H5T_COMPOUND: {
      const int n = H5Tget_nmembers(t.id());
      bool floats = n == 2;
      for (int m = 0; floats && m < n; ++m)
        floats = H5Tget_member_class(t.id(), static_cast<unsigned>(m)) == H5T_FLOAT;
      return floats ? "complex" + std::to_string(i.type_size * 8) : "compound";
    }
    case H5T_ENUM:
      return "enum (bool)";
    case H5T_ARRAY:
      return "array";
    case H5T_VLEN:
      return "variable-length";
    case H5T_OPAQUE:
      return "opaque";
    case H5T_BITFIELD:
      return "bitfield";
    case H5T_REFERENCE:
      return "reference";
    default:
      return i.type_name();
  }
}

// The dataset to read: the one named, else /exchange/data, else the only 3-D dataset.
std::string pick_dataset(const h5::File& f, const std::optional<std::string>& named) {
  if (named) {
    const std::string path = named->empty() || named->front() != '/' ? "/" + *named : *named;
    const auto kind = h5::object_kind(f, path);
    XCT_CHECK(kind.has_value(), ErrorKind::BadData, f.where(path), " does not exist");
    XCT_CHECK(*kind == h5::ObjectKind::Dataset, ErrorKind::BadData, f.where(path),
              " is not a dataset");
    return path;
  }
  if (h5::object_kind(f, "/exchange/data") == h5::ObjectKind::Dataset) return "/exchange/data";
  std::vector<std::string> found;
  std::string others;
  for (const auto& link : h5::list_links(f, "/")) {
    if (link.type != h5::LinkType::Hard) continue;
    if (h5::object_kind(f, link.path) != h5::ObjectKind::Dataset) continue;
    const h5::Dataset d = h5::open_dataset(f, link.path);
    const h5::DatasetInfo di = h5::dataset_info(d);
    if (di.rank() == 3) {
      found.push_back(link.path);
    } else if (others.size() < 200) {
      others += (others.empty() ? "" : ", ") + link.path + " " + std::to_string(di.rank()) + "-D " +
                di.type_name();
    }
  }
  XCT_CHECK(!found.empty(), ErrorKind::BadData, f.path().string(),
            " holds no /exchange/data and no 3-D dataset",
            others.empty() ? std::string() : " (only " + others + ")");
  if (found.size() > 1) {
    std::string names;
    for (const auto& p : found)
      names += (names.empty() ? "" : ", ") + p;
    XCT_THROW(ErrorKind::Usage, f.path().string(), " holds ", found.size(), " 3-D datasets (",
              names, "): name one with --dataset");
  }
  return found.front();
}

std::optional<double> hdf5_voxel_size_um(const h5::Dataset& d) {
  if (const auto v = h5::read_number_attribute(d.id(), "voxel_size_um")) return v;
  const auto v = h5::read_number_attribute(d.id(), "voxel_size");
  if (!v) return std::nullopt;
  const std::string units =
      lower(h5::read_string_attribute(d.id(), "voxel_size_units").value_or("um"));
  if (units == "um" || units == "micron" || units == "microns" || units == "\xc2\xb5m") return v;
  if (units == "nm") return *v / 1000.0;
  if (units == "mm") return *v * 1000.0;
  if (units == "m") return *v * 1e6;
  return std::nullopt;
}

VolumeInfo describe_hdf5(const fs::path& file, const std::optional<std::string>& dataset) {
  const h5::File f = h5::open_file(file);
  VolumeInfo info;
  info.source = file;
  info.format = "hdf5";
  info.dataset = pick_dataset(f, dataset);
  const h5::Dataset d = h5::open_dataset(f, info.dataset);
  const h5::DatasetInfo di = h5::dataset_info(d);
  const std::string where = f.where(info.dataset);
  XCT_CHECK(hdf5_accepts(di), ErrorKind::BadData, "unsupported volume: ", where, " holds ",
            hdf5_type_label(d, di), " samples (", kAccepted, ")");
  XCT_CHECK(di.rank() == 3, ErrorKind::BadData, "not a volume: ", where, " is a ", di.rank(),
            "-D dataset of ", di.type_name(), " (a volume is 3-D: z, y, x)");
  XCT_CHECK(di.shape[0] > 0 && di.shape[1] > 0 && di.shape[2] > 0, ErrorKind::BadData,
            "empty volume: ", where, " is ", di.shape[0], " x ", di.shape[1], " x ", di.shape[2]);
  info.dtype = di.type_name();
  info.nz = di.shape[0], info.ny = di.shape[1], info.nx = di.shape[2];
  info.voxel_size_um = hdf5_voxel_size_um(d);
  if (info.voxel_size_um) info.voxel_size_from = "hdf5 attribute";
  info.units = h5::read_string_attribute(d.id(), "units").value_or("");
  if (info.dtype == "uint16") {
    info.value_offset = h5::read_number_attribute(d.id(), "value_offset").value_or(0.0);
    info.value_scale = h5::read_number_attribute(d.id(), "value_scale").value_or(1.0);
  }
  from_report(file.parent_path(), info);
  return info;
}

// ---- finding the input --------------------------------------------------------------------

bool has_tiff_magic(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  char m[4] = {};
  if (!in.read(m, 4)) return false;
  const bool le = m[0] == 'I' && m[1] == 'I' && (m[2] == 42 || m[2] == 43) && m[3] == 0;
  const bool be = m[0] == 'M' && m[1] == 'M' && m[2] == 0 && (m[3] == 42 || m[3] == 43);
  return le || be;
}

VolumeInfo describe_tiff_file(const fs::path& file) {
  const TiffPage p = probe_tiff(file);
  VolumeInfo info;
  info.source = file;
  info.format = "tiff";
  info.dtype = sample_name(p.sample);
  info.nz = p.pages, info.ny = p.height, info.nx = p.width;
  apply_description(p.description, info);
  from_report(file.parent_path(), info);
  return info;
}

VolumeInfo describe_folder(const fs::path& folder, const std::optional<std::string>& dataset) {
  std::vector<fs::path> recon, tiffs, h5s;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(folder, ec)) {
    if (!e.is_regular_file(ec)) continue;
    const std::string name = e.path().filename().string();
    if (name.empty() || name.front() == '.') continue;
    const std::string ext = lower(e.path().extension().string());
    if (is_tiff_name(e.path())) {
      tiffs.push_back(e.path());
      if (name.rfind("recon_", 0) == 0) recon.push_back(e.path());
    } else if (ext == ".h5" || ext == ".hdf5" || ext == ".hdf" || ext == ".nxs") {
      h5s.push_back(e.path());
    }
  }
  XCT_CHECK(!ec, ErrorKind::InputMissing, "cannot list ", folder.string(), ": ", ec.message());
  std::vector<fs::path>& files = recon.empty() ? tiffs : recon;
  if (files.empty()) {
    if (fs::exists(folder / "recon.h5")) return describe_hdf5(folder / "recon.h5", dataset);
    if (h5s.size() == 1) return describe_hdf5(h5s.front(), dataset);
    XCT_THROW(ErrorKind::BadData, "no volume in ", folder.string(),
              ": no TIFF slices (*.tif, *.tiff)",
              h5s.empty() ? " and no HDF5 file" : " and several HDF5 files: name one as INPUT");
  }
  XCT_CHECK(!dataset, ErrorKind::Usage,
            "--dataset applies to HDF5 input, not to the TIFF slices in ", folder.string());
  if (files.size() == 1) {
    VolumeInfo info = describe_tiff_file(files.front());
    return info;
  }
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return natural_less(a.filename().string(), b.filename().string());
  });
  const TiffPage p = probe_tiff(files.front());
  XCT_CHECK(p.pages == 1, ErrorKind::BadData, files.front().string(), " holds ", p.pages,
            " pages: a folder of slices needs one page per file");
  VolumeInfo info;
  info.source = folder;
  info.format = "tiff-stack";
  info.dtype = sample_name(p.sample);
  info.nz = files.size(), info.ny = p.height, info.nx = p.width;
  info.files = files;
  apply_description(p.description, info);
  from_report(folder, info);
  return info;
}

Roi close_roi(const std::optional<Roi>& given, const VolumeInfo& info) {
  Roi r{0, info.nz, 0, info.ny, 0, info.nx};
  if (!given) return r;
  const Roi& g = *given;
  r.z0 = g.z0, r.y0 = g.y0, r.x0 = g.x0;
  r.z1 = g.z1 == kOpen ? info.nz : g.z1;
  r.y1 = g.y1 == kOpen ? info.ny : g.y1;
  r.x1 = g.x1 == kOpen ? info.nx : g.x1;
  XCT_CHECK(r.z0 < r.z1 && r.y0 < r.y1 && r.x0 < r.x1 && r.z1 <= info.nz && r.y1 <= info.ny &&
                r.x1 <= info.nx,
            ErrorKind::Usage, "--roi ", r.z0, ":", r.z1, ",", r.y0, ":", r.y1, ",", r.x0, ":", r.x1,
            " is empty or lies outside the volume of ", info.nz, " x ", info.ny, " x ", info.nx,
            " voxels (z, y, x)");
  return r;
}

std::size_t slice_digits(std::size_t nz) {
  std::size_t digits = 5;
  for (std::size_t n = nz > 0 ? nz - 1 : 0, p = 100000; n >= p && digits < 20; p *= 10)
    ++digits;
  return digits;
}

std::string labels_legend() {
  std::string s;
  for (int l = 0; l < kLabelCount; ++l)
    s += (l ? ", " : "") + std::to_string(l) + " " + std::string(label_name(l));
  return s;
}

}  // namespace

Roi parse_roi(const std::string& text) {
  Roi r;
  std::size_t* ends[3][2] = {{&r.z0, &r.z1}, {&r.y0, &r.y1}, {&r.x0, &r.x1}};
  std::istringstream in(text);
  std::string side;
  int axis = 0;
  auto bad = [&]() {
    XCT_THROW(ErrorKind::Usage, "--roi '", text,
              "' is not Z0:Z1,Y0:Y1,X0:X1 (voxels, end exclusive; an empty side is the whole "
              "axis)");
  };
  while (std::getline(in, side, ',')) {
    if (axis >= 3) bad();
    const auto colon = side.find(':');
    if (colon == std::string::npos) bad();
    const std::string parts[2] = {side.substr(0, colon), side.substr(colon + 1)};
    for (int k = 0; k < 2; ++k) {
      if (parts[k].empty()) {
        *ends[axis][k] = k == 0 ? 0 : kOpen;
        continue;
      }
      char* end = nullptr;
      const long long v = std::strtoll(parts[k].c_str(), &end, 10);
      if (end != parts[k].c_str() + parts[k].size() || v < 0) bad();
      *ends[axis][k] = static_cast<std::size_t>(v);
    }
    ++axis;
  }
  if (axis != 3) bad();
  return r;
}

VolumeInfo describe_volume(const VolumeInput& input) {
  const fs::path& p = input.path;
  std::error_code ec;
  XCT_CHECK(!p.empty() && fs::exists(p, ec), ErrorKind::InputMissing,
            "input not found: ", p.string());
  if (fs::is_directory(p, ec)) return describe_folder(p, input.dataset);
  XCT_CHECK(fs::is_regular_file(p, ec), ErrorKind::BadData, p.string(), " is not a regular file");
  if (has_tiff_magic(p)) {
    XCT_CHECK(!input.dataset, ErrorKind::Usage, "--dataset applies to HDF5 input, not to the TIFF ",
              p.string());
    return describe_tiff_file(p);
  }
  return describe_hdf5(p, input.dataset);
}

LoadedVolume read_volume(const VolumeInput& input) {
  LoadedVolume v;
  v.info = describe_volume(input);
  const VolumeInfo& info = v.info;
  v.roi = close_roi(input.roi, info);
  const Roi& r = v.roi;
  const auto shape = r.shape();
  v.data = HostArray<float, 3>({shape[0], shape[1], shape[2]});
  float* out = v.data.data();
  const std::size_t slice = shape[1] * shape[2];
  if (info.format == "hdf5") {
    const h5::File f = h5::open_file(info.source);
    const h5::Dataset d = h5::open_dataset(f, info.dataset);
    h5::read_block(d, {r.z0, r.y0, r.x0}, {shape[0], shape[1], shape[2]}, H5T_NATIVE_FLOAT, out);
  } else {
    // One page per slice: pages of one file, or one file per slice (read in parallel).
    const bool stack = info.format == "tiff-stack";
    const TiffPage first = probe_tiff(stack ? info.files.front() : info.source);
    const Range rows{r.y0, r.y1}, cols{r.x0, r.x1};
    if (!stack) {
      TiffPageReader reader(info.source, first);
      for (std::size_t z = 0; z < shape[0]; ++z)
        reader.read(r.z0 + z, rows, cols, out + z * slice);
    } else {
      std::exception_ptr failure;
#pragma omp parallel for schedule(dynamic, 1)
      for (std::ptrdiff_t zz = 0; zz < static_cast<std::ptrdiff_t>(shape[0]); ++zz) {
        const auto z = static_cast<std::size_t>(zz);
        try {
          const fs::path& file = info.files[r.z0 + z];
          const TiffPage p = probe_tiff(file);
          XCT_CHECK(p.pages == 1, ErrorKind::BadData, file.string(), " holds ", p.pages,
                    " pages: a folder of slices needs one page per file");
          TiffPageReader(file, first).read(0, rows, cols, out + z * slice);
        } catch (...) {
#pragma omp critical(xct_volume_read)
          if (!failure) failure = std::current_exception();
        }
      }
      if (failure) std::rethrow_exception(failure);
    }
  }
  if (info.dtype == "uint16" && (info.value_offset != 0.0 || info.value_scale != 1.0)) {
    for (float& x : v.data)
      x = static_cast<float>(info.value_offset + info.value_scale * x);
  }
  return v;
}

// ---- labels -------------------------------------------------------------------------------

fs::path label_slice_path(const fs::path& folder, std::size_t z, std::size_t nz) {
  std::string digits = std::to_string(z);
  const std::size_t width = slice_digits(nz);
  if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
  return folder / (std::string(kLabelPrefix) + digits + ".tif");
}

std::vector<fs::path> write_labels(const fs::path& folder, const std::string& format,
                                   HostView<const std::uint8_t, 3> labels, const LabelMeta& meta) {
  XCT_CHECK(format == "tiff" || format == "h5", ErrorKind::Usage, "--save-format '", format,
            "' is not tiff or h5");
  const std::size_t nz = labels.extent(0), ny = labels.extent(1), nx = labels.extent(2);
  XCT_CHECK(nz > 0 && ny > 0 && nx > 0, ErrorKind::Internal, "no labels to write");
  std::error_code ec;
  fs::create_directories(folder, ec);
  XCT_CHECK(!ec && fs::is_directory(folder), ErrorKind::OutputIO, "cannot create ", folder.string(),
            ec ? ": " + ec.message() : std::string());
  std::vector<std::uint8_t> slice(ny * nx);
  auto copy_slice = [&](std::size_t z) {
    for (std::size_t y = 0; y < ny; ++y)
      for (std::size_t x = 0; x < nx; ++x)
        slice[y * nx + x] = labels(z, y, x);
  };
  std::vector<fs::path> files;
  if (format == "tiff") {
    std::ostringstream desc;
    desc.precision(10);
    desc << "xct segment labels; labels=" << labels_legend();
    if (meta.voxel_size_um) desc << "; voxel_size_um=" << *meta.voxel_size_um;
    for (std::size_t z = 0; z < nz; ++z) {
      copy_slice(z);
      files.push_back(label_slice_path(folder, z, nz));
      write_tiff_pages(files.back(), DType::UInt8, slice.data(), 1, ny, nx, false, desc.str());
    }
    return files;
  }
  const fs::path file = folder / kLabelsH5;
  AtomicFile atomic(file);
  {
    h5::File f = h5::create_file(atomic.temp_path());
    h5::Dataset d =
        h5::create_dataset(f.id(), "/labels", H5T_STD_U8LE, {nz, ny, nx}, {1, ny, nx}, 4);
    for (std::size_t z = 0; z < nz; ++z) {
      copy_slice(z);
      h5::write_block(d, {z, 0, 0}, {1, ny, nx}, H5T_NATIVE_UINT8, slice.data());
    }
    nlohmann::json names = nlohmann::json::array();
    for (int l = 0; l < kLabelCount; ++l)
      names.push_back(std::string(label_name(l)));
    h5::write_attribute(d.id(), "axes", "z:y:x");
    h5::write_attribute(d.id(), "description", "xct segment labels");
    h5::write_attribute(d.id(), "labels", labels_legend());
    h5::write_attribute(d.id(), "label_names", names.dump());
    if (meta.voxel_size_um) h5::write_attribute(d.id(), "voxel_size_um", *meta.voxel_size_um);
    h5::write_attribute(d.id(), "command", meta.command);
    d.reset();
    f.close();
  }
  atomic.commit();
  files.push_back(file);
  return files;
}

HostArray<std::uint8_t, 3> read_labels(const fs::path& path) {
  std::error_code ec;
  XCT_CHECK(fs::exists(path, ec), ErrorKind::InputMissing, "labels not found: ", path.string());
  if (!fs::is_directory(path, ec)) {
    const h5::File f = h5::open_file(path);
    const h5::Dataset d = h5::open_dataset(f, "/labels");
    const h5::DatasetInfo i = h5::dataset_info(d);
    XCT_CHECK(
        i.rank() == 3 && i.type_class == h5::TypeClass::Integer && !i.is_signed && i.type_size == 1,
        ErrorKind::BadData, f.where("/labels"), " is not a 3-D uint8 volume (", i.rank(), "-D ",
        i.type_name(), ")");
    HostArray<std::uint8_t, 3> out({i.shape[0], i.shape[1], i.shape[2]});
    if (!out.empty()) h5::read_all(d, H5T_NATIVE_UINT8, out.data());
    return out;
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(path, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(kLabelPrefix, 0) == 0 && is_tiff_name(e.path())) files.push_back(e.path());
  }
  XCT_CHECK(!files.empty(), ErrorKind::InputMissing, "no labels_*.tif in ", path.string());
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return natural_less(a.filename().string(), b.filename().string());
  });
  const TiffImageInfo first = tiff_info(files.front());
  HostArray<std::uint8_t, 3> out({files.size(), first.n_rows, first.n_cols});
  for (std::size_t z = 0; z < files.size(); ++z) {
    TiffFile f(files[z]);
    XCT_CHECK(f.info().dtype == DType::UInt8 && f.info().n_rows == first.n_rows &&
                  f.info().n_cols == first.n_cols,
              ErrorKind::BadData, files[z].string(), " is not a ", first.n_rows, " x ",
              first.n_cols, " uint8 label slice");
    f.read_rows(0, Range{0, first.n_rows}, DType::UInt8, &out(z, 0, 0));
  }
  return out;
}

}  // namespace xct::seg
