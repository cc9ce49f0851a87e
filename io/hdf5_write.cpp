// Writing through the HDF5 layer: groups, chunked datasets, small values, attributes, links.
// Strings are variable-length UTF-8, which h5py reads as str.
#include "io/hdf5.hpp"

#include <algorithm>

namespace xct::h5 {

namespace {

PropList intermediate_groups() {
  PropList lcpl(H5Pcreate(H5P_LINK_CREATE));
  if (!lcpl.valid() || H5Pset_create_intermediate_group(lcpl.id(), 1) < 0 ||
      H5Pset_char_encoding(lcpl.id(), H5T_CSET_UTF8) < 0) {
    fail(ErrorKind::Internal, "cannot make an HDF5 link creation list");
  }
  return lcpl;
}

hid_t file_type_of(DType dtype) {
  switch (dtype) {
    case DType::UInt8:
      return H5T_STD_U8LE;
    case DType::UInt16:
      return H5T_STD_U16LE;
    case DType::Float32:
      return H5T_IEEE_F32LE;
  }
  return H5T_STD_U16LE;
}

// Objects carry no modification times, so the same content gives the same bytes.
PropList untimed(hid_t cls) {
  PropList pl(H5Pcreate(cls));
  if (!pl.valid() || H5Pset_obj_track_times(pl.id(), 0) < 0) {
    fail(ErrorKind::Internal, "cannot make an HDF5 creation list");
  }
  return pl;
}

// Creates the groups above `path` that are missing, without times.
void create_parents(hid_t loc, const std::string& path) {
  std::size_t pos = path.find('/', 1);
  while (pos != std::string::npos) {
    const std::string parent = path.substr(0, pos);
    if (!parent.empty() && parent != "/" && H5Lexists(loc, parent.c_str(), H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      PropList gcpl = untimed(H5P_GROUP_CREATE);
      Group g(H5Gcreate2(loc, parent.c_str(), H5P_DEFAULT, gcpl.id(), H5P_DEFAULT));
      if (!g.valid()) fail(ErrorKind::OutputIO, "cannot create group " + parent);
    }
    pos = path.find('/', pos + 1);
  }
}

bool count_is_empty(const std::vector<std::size_t>& count) {
  for (auto c : count) {
    if (c == 0) return true;
  }
  return false;
}

}  // namespace

// ---- writing -----------------------------------------------------------------------------

Group create_group(hid_t loc, const std::string& path) {
  init();
  if (H5Lexists(loc, path.c_str(), H5P_DEFAULT) > 0) {
    Group g(H5Gopen2(loc, path.c_str(), H5P_DEFAULT));
    if (!g.valid()) fail(ErrorKind::OutputIO, "cannot open group " + path);
    return g;
  }
  H5Eclear2(H5E_DEFAULT);
  create_parents(loc, path);
  PropList lcpl = intermediate_groups();
  PropList gcpl = untimed(H5P_GROUP_CREATE);
  Group g(H5Gcreate2(loc, path.c_str(), lcpl.id(), gcpl.id(), H5P_DEFAULT));
  if (!g.valid()) fail(ErrorKind::OutputIO, "cannot create group " + path);
  return g;
}

Dataset create_dataset(hid_t loc, const std::string& path, hid_t file_type,
                       const std::vector<std::size_t>& shape, const std::vector<std::size_t>& chunk,
                       int deflate_level) {
  init();
  Dataspace space = make_dataspace(shape);
  PropList dcpl = untimed(H5P_DATASET_CREATE);
  // An empty dataset cannot be chunked with fixed dimensions; it needs no chunks anyway.
  if (!chunk.empty() && !count_is_empty(shape)) {
    XCT_CHECK(chunk.size() == shape.size(), ErrorKind::Internal, "chunk rank ", chunk.size(),
              " for a rank-", shape.size(), " dataset ", path);
    const std::vector<hsize_t> c(chunk.begin(), chunk.end());
    if (H5Pset_chunk(dcpl.id(), static_cast<int>(c.size()), c.data()) < 0) {
      fail(ErrorKind::Internal, "cannot set the chunks of " + path);
    }
    if (deflate_level > 0 &&
        (H5Pset_shuffle(dcpl.id()) < 0 ||
         H5Pset_deflate(dcpl.id(), static_cast<unsigned>(std::min(deflate_level, 9))) < 0)) {
      fail(ErrorKind::Internal, "cannot set the compression of " + path);
    }
  }
  create_parents(loc, path);
  PropList lcpl = intermediate_groups();
  Dataset d(
      H5Dcreate2(loc, path.c_str(), file_type, space.id(), lcpl.id(), dcpl.id(), H5P_DEFAULT));
  if (!d.valid()) fail(ErrorKind::OutputIO, "cannot create dataset " + path);
  return d;
}

void write_block(const Dataset& dataset, const std::vector<std::size_t>& start,
                 const std::vector<std::size_t>& count, hid_t mem_type, const void* data) {
  Dataspace file_space = block_selection(dataset, start, count);
  if (count_is_empty(count)) return;
  Dataspace mem_space = make_dataspace(count);
  if (H5Dwrite(dataset.id(), mem_type, mem_space.id(), file_space.id(), H5P_DEFAULT, data) < 0) {
    fail(ErrorKind::OutputIO, "cannot write " + describe(dataset.id()));
  }
}

void write_all(const Dataset& dataset, hid_t mem_type, const void* data) {
  if (dataset_info(dataset).n_elements() == 0) return;
  if (H5Dwrite(dataset.id(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
    fail(ErrorKind::OutputIO, "cannot write " + describe(dataset.id()));
  }
}

Dataset write_array(hid_t loc, const std::string& path, DType dtype,
                    const std::vector<std::size_t>& shape, const void* data,
                    const std::vector<std::size_t>& chunk) {
  Dataset d = create_dataset(loc, path, file_type_of(dtype), shape, chunk);
  write_all(d, native_type(dtype), data);
  return d;
}

Dataset write_doubles(hid_t loc, const std::string& path, const std::vector<double>& values) {
  Dataset d = create_dataset(loc, path, H5T_IEEE_F64LE, {values.size()});
  write_all(d, H5T_NATIVE_DOUBLE, values.data());
  return d;
}

Dataset write_scalar(hid_t loc, const std::string& path, double value) {
  Dataset d = create_dataset(loc, path, H5T_IEEE_F64LE, {});
  write_all(d, H5T_NATIVE_DOUBLE, &value);
  return d;
}

void write_quantity(hid_t loc, const std::string& path, std::optional<double> value,
                    const char* units) {
  if (!value) return;
  const Dataset d = write_scalar(loc, path, *value);
  write_attribute(d.id(), "units", units);
}

Dataset write_string(hid_t loc, const std::string& path, const std::string& value) {
  Datatype type = utf8_string_type();
  Dataset d = create_dataset(loc, path, type.id(), {});
  const char* p = value.c_str();
  write_all(d, type.id(), &p);
  return d;
}

namespace {
void write_scalar_attribute(hid_t object, const std::string& name, hid_t file_type, hid_t mem_type,
                            const void* v) {
  init();
  if (has_attribute(object, name) && H5Adelete(object, name.c_str()) < 0) {
    fail(ErrorKind::OutputIO, "cannot replace attribute " + name + " of " + describe(object));
  }
  Dataspace space = make_dataspace({});
  Attribute a(H5Acreate2(object, name.c_str(), file_type, space.id(), H5P_DEFAULT, H5P_DEFAULT));
  if (!a.valid() || H5Awrite(a.id(), mem_type, v) < 0) {
    fail(ErrorKind::OutputIO, "cannot write attribute " + name + " of " + describe(object));
  }
}
}  // namespace

void write_attribute(hid_t object, const std::string& name, const std::string& value) {
  Datatype type = utf8_string_type();
  const char* p = value.c_str();
  write_scalar_attribute(object, name, type.id(), type.id(), &p);
}

void write_attribute(hid_t object, const std::string& name, const char* value) {
  write_attribute(object, name, std::string(value));
}

void write_attribute(hid_t object, const std::string& name, double value) {
  write_scalar_attribute(object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

void write_attribute(hid_t object, const std::string& name, std::int64_t value) {
  write_scalar_attribute(object, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

void create_soft_link(hid_t loc, const std::string& link_path, const std::string& target) {
  init();
  PropList lcpl = intermediate_groups();
  if (H5Lcreate_soft(target.c_str(), loc, link_path.c_str(), lcpl.id(), H5P_DEFAULT) < 0) {
    fail(ErrorKind::OutputIO, "cannot create the link " + link_path + " -> " + target);
  }
}

void create_external_link(hid_t loc, const std::string& link_path, const std::string& target_file,
                          const std::string& target_object) {
  init();
  PropList lcpl = intermediate_groups();
  if (H5Lcreate_external(target_file.c_str(), target_object.c_str(), loc, link_path.c_str(),
                         lcpl.id(), H5P_DEFAULT) < 0) {
    fail(ErrorKind::OutputIO, "cannot create the external link " + link_path + " -> " +
                                  target_file + ":" + target_object);
  }
}

}  // namespace xct::h5
