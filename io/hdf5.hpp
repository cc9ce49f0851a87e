// A small RAII layer over the HDF5 C API. Every handle is move-only and closed by its
// destructor; every call is checked, and a failure becomes an xct::Error whose message is one
// line: what was being done, plus the most specific messages of HDF5's error stack (HDF5's own
// printing of the stack to stderr is switched off).
//
// Paths inside a file are plain strings ("/exchange/data"). Functions that take a `hid_t loc`
// accept a file or group id. Files are opened read-only unless created for writing.
#pragma once

#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "io/dtype.hpp"

namespace xct::h5 {

// Switches HDF5's automatic error printing off; safe to call many times. Every function below
// calls it, so callers only need it before using the C API directly.
void init();

// Keeps HDF5 from closing what is still open when the process exits. Every file xct writes is
// closed (and checked) where it is finished; what is left open at exit is a staging file whose
// close already failed (a full disk), and closing it again at exit crashes the library. Call it
// first thing in main(), before any other HDF5 call.
void no_cleanup_at_exit();

// The current HDF5 error stack as one line ("truncated file: eof = 96, stored_eof = 4256"),
// most specific messages first; empty when the stack is empty. Clears the stack.
std::string error_stack_line();

// The whole stack behind the last failure turned into a line on this thread, one entry per
// line, for debug logs.
const std::string& last_error_stack();

// Throws an Error of `kind`: "<what>: <error stack line>".
[[noreturn]] void fail(ErrorKind kind, const std::string& what);

// "<file>:<path>" of an open object, for messages.
std::string describe(hid_t object);
// The name of the file that holds `object` (as HDF5 opened it; empty when unknown).
std::string file_name_of(hid_t object);

// An owned HDF5 id closed by `Close`.
template <herr_t (*Close)(hid_t)>
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  ~Handle() { reset(); }
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  hid_t id() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // Gives up ownership (for a checked close).
  hid_t release() { return std::exchange(id_, H5I_INVALID_HID); }
  void reset() {
    if (id_ >= 0) Close(id_);  // a failed close leaves nothing a caller could do
    id_ = H5I_INVALID_HID;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

using Group = Handle<&H5Gclose>;
using Dataset = Handle<&H5Dclose>;
using Dataspace = Handle<&H5Sclose>;
using Datatype = Handle<&H5Tclose>;  // only for types the caller owns, never H5T_NATIVE_*
using Attribute = Handle<&H5Aclose>;
using PropList = Handle<&H5Pclose>;
using Object = Handle<&H5Oclose>;

// An open file with its path (for messages) and a link-access property list whose external
// link prefix is the file's own folder, so relative external links resolve against the
// linking file whatever the current directory is.
class File {
 public:
  File() = default;
  File(hid_t id, std::filesystem::path path);

  hid_t id() const { return id_.id(); }
  const std::filesystem::path& path() const { return path_; }
  // The access property list to use when following paths inside this file.
  hid_t access() const { return access_.id(); }
  // "<file>:<object>", as messages and StackInfo::where name datasets.
  std::string where(const std::string& object) const;
  // Closes the file now, checked (a written file is complete only once this succeeds); every
  // object opened in it must be closed first. Throws OutputIO.
  void close();

 private:
  Handle<&H5Fclose> id_;
  std::filesystem::path path_;
  PropList access_;
};

// Opens an existing file read-only. Throws InputMissing when it does not exist, TempFail when it
// is locked or still open for writing, and BadData ("incomplete or corrupt HDF5 file ...")
// when it is truncated or not HDF5.
File open_file(const std::filesystem::path& path);
// Creates (truncates) a file for writing; throws OutputIO.
File create_file(const std::filesystem::path& path);

// ---- paths and links -------------------------------------------------------------------

enum class LinkType { Missing, Hard, Soft, External, Other };

struct LinkInfo {
  LinkType type = LinkType::Missing;
  std::string soft_target;              // Soft: the path it names
  std::string external_file;            // External: the file name as stored in the link
  std::string external_object;          // External: the path inside that file
  std::filesystem::path resolved_file;  // External: where the target file is (or would be)
  bool target_file_exists = false;      // External: whether resolved_file exists
};

// True when every component of `path` is a link that exists and every intermediate component
// resolves to a group; never throws for missing components or dangling links on the way.
bool link_exists(const File& file, const std::string& path);
// True when the link exists and resolves to an object (not dangling).
bool object_exists(const File& file, const std::string& path);
// The link at `path` (the last component); Missing when absent. External link targets are
// looked for as HDF5 does: an existing absolute name, else the name (its base name when
// absolute) under HDF5_EXT_PREFIX, the opened file's folder (the link-access prefix), the
// folder of the file that holds the link, and the current directory.
LinkInfo link_info(const File& file, const std::string& path);

// Why a path does not resolve.
struct PathProblem {
  enum class Kind { Missing, DanglingExternal, DanglingSoft } kind = Kind::Missing;
  std::string link_path;               // the link where resolution stopped
  std::string target;                  // what that link names ("file.h5:/path" for external)
  std::filesystem::path missing_file;  // DanglingExternal: the absent target file
  // One line, e.g. "/entry/data is an external link to det.h5:/data but the file /x/det.h5
  // does not exist".
  std::string message() const;
};
// Empty when `path` resolves to an object, else the first component that stops it. Throws
// only when a linked file exists but cannot be opened (TempFail when locked, BadData when
// corrupt), as open_file does.
std::optional<PathProblem> path_problem(const File& file, const std::string& path);

// "/a/b" + "c" -> "/a/b/c"; parent_path("/a/b/c") == "/a/b"; base_name("/a/b/c") == "c".
std::string join_path(const std::string& parent, const std::string& child);
std::string parent_path(const std::string& path);
std::string base_name(const std::string& path);

// Every link below `group` (relative paths joined to `group`), found by a recursive walk
// through hard links only; soft and external links are listed but not followed, and a
// dangling link never stops the walk.
struct LinkEntry {
  std::string path;
  LinkType type = LinkType::Hard;
};
std::vector<LinkEntry> list_links(const File& file, const std::string& group = "/");

// ---- objects -----------------------------------------------------------------------------

enum class ObjectKind { Group, Dataset, Other };
// The kind of object `path` resolves to; nullopt when it does not resolve.
std::optional<ObjectKind> object_kind(const File& file, const std::string& path);

Group open_group(const File& file, const std::string& path);
// Opens a dataset. Throws InputMissing when it lies behind a dangling external link (naming
// the link and the missing file) and BadData naming "<file>:<path>" when it does not exist.
Dataset open_dataset(const File& file, const std::string& path);

enum class TypeClass { Integer, Float, String, Other };

struct DatasetInfo {
  std::vector<std::size_t> shape;
  TypeClass type_class = TypeClass::Other;
  std::size_t type_size = 0;  // bytes per element
  bool is_signed = false;
  std::vector<std::size_t> chunk;  // empty when not chunked
  bool filtered = false;           // chunks pass through filters (compression): decoded whole

  std::size_t rank() const { return shape.size(); }
  std::size_t n_elements() const;
  // The scan sample type (uint8, uint16, float32) when it is one of them.
  std::optional<DType> scan_dtype() const;
  // "uint16", "int64", "float64", "string" ... for messages.
  std::string type_name() const;
};
DatasetInfo dataset_info(const Dataset& dataset);

// The native memory type for a scan sample type (a predefined id; never close it).
hid_t native_type(DType dtype);
// A variable-length UTF-8 string type (h5py reads it as str).
Datatype utf8_string_type();

// For direct H5Dread/H5Dwrite calls: a simple dataspace (scalar when `shape` is empty), and
// the dataset's file space with the block start/count selected (Usage error when the block
// does not lie inside the dataset).
Dataspace make_dataspace(const std::vector<std::size_t>& shape);
Dataspace block_selection(const Dataset& dataset, const std::vector<std::size_t>& start,
                          const std::vector<std::size_t>& count);

// Reads the block start[i] .. start[i] + count[i] of every axis into `out`, converted to
// `mem_type` by HDF5. Only the selected part of the file is read.
void read_block(const Dataset& dataset, const std::vector<std::size_t>& start,
                const std::vector<std::size_t>& count, hid_t mem_type, void* out);
// The whole dataset.
void read_all(const Dataset& dataset, hid_t mem_type, void* out);

// A numeric dataset of rank 0 or 1 as doubles (or int64); BadData for other ranks or types.
std::vector<double> read_doubles(const Dataset& dataset);
std::vector<std::int64_t> read_ints(const Dataset& dataset);
// A string dataset (fixed or variable length, scalar or of one element).
std::string read_string(const Dataset& dataset);

// ---- attributes --------------------------------------------------------------------------

bool has_attribute(hid_t object, const std::string& name);
// nullopt when absent or not a string (a one-element string array counts).
std::optional<std::string> read_string_attribute(hid_t object, const std::string& name);
// nullopt when absent or not numeric (a one-element array counts).
std::optional<double> read_number_attribute(hid_t object, const std::string& name);

// ---- writing -----------------------------------------------------------------------------

// Creates `path` and any missing groups above it.
Group create_group(hid_t loc, const std::string& path);
// A dataset of `file_type` with the given shape; chunked with `chunk` when not empty, and then
// compressed (byte shuffle + deflate) when `deflate_level` is 1-9. Missing groups above it are
// created.
Dataset create_dataset(hid_t loc, const std::string& path, hid_t file_type,
                       const std::vector<std::size_t>& shape,
                       const std::vector<std::size_t>& chunk = {}, int deflate_level = 0);
void write_block(const Dataset& dataset, const std::vector<std::size_t>& start,
                 const std::vector<std::size_t>& count, hid_t mem_type, const void* data);
void write_all(const Dataset& dataset, hid_t mem_type, const void* data);

// Convenience writers: a whole array, 1-D float64, a float64 scalar, a UTF-8 string.
Dataset write_array(hid_t loc, const std::string& path, DType dtype,
                    const std::vector<std::size_t>& shape, const void* data,
                    const std::vector<std::size_t>& chunk = {});
Dataset write_doubles(hid_t loc, const std::string& path, const std::vector<double>& values);
Dataset write_scalar(hid_t loc, const std::string& path, double value);
Dataset write_string(hid_t loc, const std::string& path, const std::string& value);
// A float64 scalar with a `units` attribute, when the value is known.
void write_quantity(hid_t loc, const std::string& path, std::optional<double> value,
                    const char* units);

// Scalar attributes; strings are variable-length UTF-8, which h5py reads as str.
void write_attribute(hid_t object, const std::string& name, const std::string& value);
void write_attribute(hid_t object, const std::string& name, const char* value);
void write_attribute(hid_t object, const std::string& name, double value);
void write_attribute(hid_t object, const std::string& name, std::int64_t value);

// Links (for NeXus masters, tests and the simulator). Missing groups above are created.
void create_soft_link(hid_t loc, const std::string& link_path, const std::string& target);
void create_external_link(hid_t loc, const std::string& link_path, const std::string& target_file,
                          const std::string& target_object);

// Flushes a file that is being written; throws OutputIO.
void flush(const File& file);

}  // namespace xct::h5
