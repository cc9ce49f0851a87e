// Datasets and attributes of the HDF5 layer, read side: shape and type, block reads with
// conversion by HDF5, and small values (strings, numbers). Writing is in hdf5_write.cpp.
#include <cmath>

#include "io/hdf5.hpp"

namespace xct::h5 {

namespace {

std::vector<hsize_t> to_hsize(const std::vector<std::size_t>& v) {
  return std::vector<hsize_t>(v.begin(), v.end());
}

std::size_t n_points(hid_t space) {
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

// One string element of a dataset or attribute of type `file_type`, read by `read`
// (H5Dread or H5Aread with the given memory type).
template <typename ReadFn>
std::string read_string_value(hid_t file_type, const std::string& what, ReadFn read) {
  Datatype mem(H5Tcopy(H5T_C_S1));
  if (!mem.valid()) fail(ErrorKind::Internal, "cannot make an HDF5 string type");
  H5Tset_cset(mem.id(), H5Tget_cset(file_type));
  if (H5Tis_variable_str(file_type) > 0) {
    H5Tset_size(mem.id(), H5T_VARIABLE);
    char* p = nullptr;
    // A read that fails part way may still have allocated the string: freed either way.
    const herr_t rc = read(mem.id(), static_cast<void*>(&p));
    std::string s = rc >= 0 && p ? p : "";
    if (p) H5free_memory(p);
    if (rc < 0) fail(ErrorKind::BadData, "cannot read " + what);
    return s;
  }
  const std::size_t size = H5Tget_size(file_type);
  H5Tset_size(mem.id(), size);
  H5Tset_strpad(mem.id(), H5T_STR_NULLPAD);
  std::string s(size, '\0');
  if (read(mem.id(), static_cast<void*>(s.data())) < 0) {
    fail(ErrorKind::BadData, "cannot read " + what);
  }
  s.resize(s.find('\0') == std::string::npos ? s.size() : s.find('\0'));
  while (!s.empty() && s.back() == ' ')
    s.pop_back();  // space-padded (Fortran) strings
  return s;
}

Attribute open_attribute(hid_t object, const std::string& name) {
  if (!has_attribute(object, name)) return Attribute();
  Attribute a(H5Aopen(object, name.c_str(), H5P_DEFAULT));
  if (!a.valid())
    fail(ErrorKind::BadData, "cannot open attribute " + name + " of " + describe(object));
  return a;
}

bool count_is_empty(const std::vector<std::size_t>& count) {
  for (auto c : count) {
    if (c == 0) return true;
  }
  return false;
}

}  // namespace

Dataspace make_dataspace(const std::vector<std::size_t>& shape) {
  const auto dims = to_hsize(shape);
  Dataspace s(shape.empty()
                  ? H5Screate(H5S_SCALAR)
                  : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  if (!s.valid()) fail(ErrorKind::Internal, "cannot make an HDF5 dataspace");
  return s;
}

Dataspace block_selection(const Dataset& dataset, const std::vector<std::size_t>& start,
                          const std::vector<std::size_t>& count) {
  const DatasetInfo info = dataset_info(dataset);
  XCT_CHECK(start.size() == info.rank() && count.size() == info.rank(), ErrorKind::Internal,
            "block of rank ", start.size(), " for the rank-", info.rank(), " dataset ",
            describe(dataset.id()));
  for (std::size_t i = 0; i < info.rank(); ++i) {
    XCT_CHECK(start[i] + count[i] <= info.shape[i], ErrorKind::Usage, "block ", start[i], "..",
              start[i] + count[i], " on axis ", i, " lies outside ", describe(dataset.id()), " (",
              info.shape[i], ")");
  }
  Dataspace space(H5Dget_space(dataset.id()));
  const auto s = to_hsize(start);
  const auto c = to_hsize(count);
  // An empty block selects nothing (HDF5 refuses a zero count in a hyperslab).
  const bool ok = space.valid() &&
                  (count_is_empty(count) ? H5Sselect_none(space.id())
                                         : H5Sselect_hyperslab(space.id(), H5S_SELECT_SET, s.data(),
                                                               nullptr, c.data(), nullptr)) >= 0;
  if (!ok) {
    fail(ErrorKind::Internal, "cannot select a block of " + describe(dataset.id()));
  }
  return space;
}

Datatype utf8_string_type() {
  Datatype t(H5Tcopy(H5T_C_S1));
  if (!t.valid() || H5Tset_size(t.id(), H5T_VARIABLE) < 0 ||
      H5Tset_cset(t.id(), H5T_CSET_UTF8) < 0) {
    fail(ErrorKind::Internal, "cannot make an HDF5 string type");
  }
  return t;
}

// ---- reading -----------------------------------------------------------------------------

std::size_t DatasetInfo::n_elements() const {
  std::size_t n = 1;
  for (auto d : shape)
    n *= d;
  return n;
}

std::optional<DType> DatasetInfo::scan_dtype() const {
  if (type_class == TypeClass::Integer && !is_signed && type_size == 1) return DType::UInt8;
  if (type_class == TypeClass::Integer && !is_signed && type_size == 2) return DType::UInt16;
  if (type_class == TypeClass::Float && type_size == 4) return DType::Float32;
  return std::nullopt;
}

std::string DatasetInfo::type_name() const {
  const std::string bits = std::to_string(type_size * 8);
  switch (type_class) {
    case TypeClass::Integer:
      return (is_signed ? "int" : "uint") + bits;
    case TypeClass::Float:
      return "float" + bits;
    case TypeClass::String:
      return "string";
    case TypeClass::Other:
      break;
  }
  return "non-numeric type";
}

DatasetInfo dataset_info(const Dataset& dataset) {
  DatasetInfo info;
  Dataspace space(H5Dget_space(dataset.id()));
  Datatype type(H5Dget_type(dataset.id()));
  PropList dcpl(H5Dget_create_plist(dataset.id()));
  if (!space.valid() || !type.valid() || !dcpl.valid()) {
    fail(ErrorKind::BadData, "cannot read the shape of " + describe(dataset.id()));
  }
  const int rank = H5Sget_simple_extent_ndims(space.id());
  if (rank < 0) fail(ErrorKind::BadData, "cannot read the shape of " + describe(dataset.id()));
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr);
  info.shape.assign(dims.begin(), dims.end());
  switch (H5Tget_class(type.id())) {
    case H5T_INTEGER:
      info.type_class = TypeClass::Integer;
      info.is_signed = H5Tget_sign(type.id()) == H5T_SGN_2;
      break;
    case H5T_FLOAT:
      info.type_class = TypeClass::Float;
      info.is_signed = true;
      break;
    case H5T_STRING:
      info.type_class = TypeClass::String;
      break;
    default:
      info.type_class = TypeClass::Other;
      break;
  }
  info.type_size = H5Tget_size(type.id());
  if (H5Pget_layout(dcpl.id()) == H5D_CHUNKED) {
    std::vector<hsize_t> chunk(static_cast<std::size_t>(rank));
    if (H5Pget_chunk(dcpl.id(), rank, chunk.data()) == rank)
      info.chunk.assign(chunk.begin(), chunk.end());
    info.filtered = H5Pget_nfilters(dcpl.id()) > 0;
  }
  return info;
}

hid_t native_type(DType dtype) {
  switch (dtype) {
    case DType::UInt8:
      return H5T_NATIVE_UINT8;
    case DType::UInt16:
      return H5T_NATIVE_UINT16;
    case DType::Float32:
      return H5T_NATIVE_FLOAT;
  }
  return H5T_NATIVE_FLOAT;
}

void read_block(const Dataset& dataset, const std::vector<std::size_t>& start,
                const std::vector<std::size_t>& count, hid_t mem_type, void* out) {
  Dataspace file_space = block_selection(dataset, start, count);
  if (count_is_empty(count)) return;
  Dataspace mem_space = make_dataspace(count);
  if (H5Dread(dataset.id(), mem_type, mem_space.id(), file_space.id(), H5P_DEFAULT, out) < 0) {
    fail(ErrorKind::BadData, "cannot read " + describe(dataset.id()));
  }
}

void read_all(const Dataset& dataset, hid_t mem_type, void* out) {
  if (dataset_info(dataset).n_elements() == 0) return;
  if (H5Dread(dataset.id(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0) {
    fail(ErrorKind::BadData, "cannot read " + describe(dataset.id()));
  }
}

std::vector<double> read_doubles(const Dataset& dataset) {
  const DatasetInfo info = dataset_info(dataset);
  XCT_CHECK(info.type_class == TypeClass::Integer || info.type_class == TypeClass::Float,
            ErrorKind::BadData, describe(dataset.id()), " holds ", info.type_name(),
            ", not numbers");
  XCT_CHECK(info.rank() <= 1, ErrorKind::BadData, describe(dataset.id()), " has ", info.rank(),
            " dimensions where a list of numbers was expected");
  // Lists of numbers are metadata (angles, image keys, one per frame): a file declaring more
  // than any scan has is corrupt, and is refused before memory is taken for it.
  constexpr std::size_t kMaxValues = std::size_t{1} << 26;
  XCT_CHECK(info.n_elements() <= kMaxValues, ErrorKind::BadData, describe(dataset.id()),
            " declares ", info.n_elements(), " values, more than any scan's list: a corrupt file");
  std::vector<double> out(info.n_elements());
  read_all(dataset, H5T_NATIVE_DOUBLE, out.data());
  return out;
}

std::vector<std::int64_t> read_ints(const Dataset& dataset) {
  const std::vector<double> values = read_doubles(dataset);
  std::vector<std::int64_t> out(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    XCT_CHECK(std::isfinite(values[i]) && values[i] == std::floor(values[i]), ErrorKind::BadData,
              describe(dataset.id()), " element ", i, " is not an integer (", values[i], ")");
    out[i] = static_cast<std::int64_t>(values[i]);
  }
  return out;
}

std::string read_string(const Dataset& dataset) {
  Datatype type(H5Dget_type(dataset.id()));
  Dataspace space(H5Dget_space(dataset.id()));
  const std::string what = describe(dataset.id());
  XCT_CHECK(type.valid() && space.valid() && H5Tget_class(type.id()) == H5T_STRING,
            ErrorKind::BadData, what, " is not a string");
  XCT_CHECK(n_points(space.id()) == 1, ErrorKind::BadData, what, " holds ", n_points(space.id()),
            " strings where one was expected");
  return read_string_value(type.id(), what, [&](hid_t mem, void* buf) {
    return H5Dread(dataset.id(), mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
  });
}

// ---- attributes --------------------------------------------------------------------------

bool has_attribute(hid_t object, const std::string& name) {
  const htri_t r = H5Aexists(object, name.c_str());
  if (r < 0) H5Eclear2(H5E_DEFAULT);
  return r > 0;
}

std::optional<std::string> read_string_attribute(hid_t object, const std::string& name) {
  Attribute a = open_attribute(object, name);
  if (!a.valid()) return std::nullopt;
  Datatype type(H5Aget_type(a.id()));
  Dataspace space(H5Aget_space(a.id()));
  if (!type.valid() || !space.valid() || H5Tget_class(type.id()) != H5T_STRING ||
      n_points(space.id()) != 1) {
    H5Eclear2(H5E_DEFAULT);
    return std::nullopt;
  }
  return read_string_value(type.id(), "attribute " + name + " of " + describe(object),
                           [&](hid_t mem, void* buf) { return H5Aread(a.id(), mem, buf); });
}

std::optional<double> read_number_attribute(hid_t object, const std::string& name) {
  Attribute a = open_attribute(object, name);
  if (!a.valid()) return std::nullopt;
  Datatype type(H5Aget_type(a.id()));
  Dataspace space(H5Aget_space(a.id()));
  const H5T_class_t cls = type.valid() ? H5Tget_class(type.id()) : H5T_NO_CLASS;
  if ((cls != H5T_INTEGER && cls != H5T_FLOAT) || !space.valid() || n_points(space.id()) != 1) {
    H5Eclear2(H5E_DEFAULT);
    return std::nullopt;
  }
  double v = 0;
  if (H5Aread(a.id(), H5T_NATIVE_DOUBLE, &v) < 0) {
    fail(ErrorKind::BadData, "cannot read attribute " + name + " of " + describe(object));
  }
  return v;
}

}  // namespace xct::h5
