// Error handling, files and paths of the HDF5 layer. Links are in hdf5_links.cpp, reading
// datasets and attributes in hdf5_data.cpp, writing in hdf5_write.cpp.
#include "io/hdf5.hpp"

#include <unistd.h>

#include <cstdlib>
#include <sstream>

namespace fs = std::filesystem;

namespace xct::h5 {

namespace {

struct StackEntry {
  hid_t major = H5I_INVALID_HID;
  hid_t minor = H5I_INVALID_HID;
  std::string desc;
  std::string func;
};

herr_t collect_entry(unsigned, const H5E_error2_t* e, void* data) {
  try {
    std::string desc = e->desc ? e->desc : "";
    for (char& c : desc) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    static_cast<std::vector<StackEntry>*>(data)->push_back(
        {e->maj_num, e->min_num, std::move(desc), e->func_name ? e->func_name : ""});
  } catch (...) {
    return -1;  // no exception may cross the C library
  }
  return 0;
}

thread_local std::string last_stack;

// The current stack, most specific entry first; the stack is cleared.
std::vector<StackEntry> take_stack() {
  std::vector<StackEntry> entries;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, collect_entry, &entries);
  H5Eclear2(H5E_DEFAULT);
  if (entries.empty()) return entries;  // keep the last real stack for the debug log
  std::ostringstream os;
  for (const auto& e : entries)
    os << e.func << "(): " << e.desc << '\n';
  last_stack = os.str();
  return entries;
}

// The two most specific distinct messages: the cause and what it stopped.
std::string stack_line(const std::vector<StackEntry>& entries) {
  std::string line;
  int kept = 0;
  std::string previous;
  for (const auto& e : entries) {
    if (e.desc.empty() || e.desc == previous) continue;
    if (kept++ > 0) line += "; ";
    line += e.desc;
    previous = e.desc;
    if (kept == 2) break;
  }
  return line.empty() ? "unknown HDF5 error" : line;
}

bool stack_has(const std::vector<StackEntry>& entries, hid_t minor, const char* text) {
  for (const auto& e : entries) {
    if (e.minor == minor || e.desc.find(text) != std::string::npos) return true;
  }
  return false;
}

[[noreturn]] void fail_open(const fs::path& path, const std::vector<StackEntry>& stack) {
  const std::string line = stack_line(stack);
  if (stack_has(stack, H5E_TRUNCATED, "truncated file")) {
    XCT_THROW(ErrorKind::BadData, "incomplete or corrupt HDF5 file ", path.string(), ": ", line);
  }
  if (stack_has(stack, H5E_CANTLOCKFILE, "already open for write")) {
    const bool no_locks = line.find("errno = 38") != std::string::npos;  // ENOSYS
    XCT_THROW(ErrorKind::TempFail, "HDF5 file ", path.string(),
              no_locks ? " cannot be locked on this file system (set HDF5_USE_FILE_LOCKING=FALSE)"
                       : " is locked or still open for writing (it may still be being written; "
                         "retry later)",
              ": ", line);
  }
  if (stack_has(stack, H5E_NOTHDF5, "signature not found")) {
    XCT_THROW(ErrorKind::BadData, path.string(), " is not an HDF5 file (or is truncated): ", line);
  }
  XCT_THROW(ErrorKind::BadData, "incomplete or corrupt HDF5 file ", path.string(), ": ", line);
}

// A link-access list whose external-link prefix is `dir`, so relative targets are found
// beside the file whatever the current directory (HDF5 tries this prefix first).
PropList link_access(const fs::path& dir) {
  PropList dapl(H5Pcreate(H5P_DATASET_ACCESS));  // a dataset access list is also a link one
  if (!dapl.valid()) fail(ErrorKind::Internal, "cannot create an HDF5 property list");
  const std::string prefix = dir.string() + "/";
  if (H5Pset_elink_prefix(dapl.id(), prefix.c_str()) < 0) {
    fail(ErrorKind::Internal, "cannot set the external link prefix");
  }
  // No chunk cache: a chunk that fits the default 1 MB cache is read whole even when a few
  // rows of it are wanted, so a row slab across every projection would read the whole file.
  // Without the cache, rows of an uncompressed chunk are read alone; compressed chunks are
  // read and decoded whole in either case, and xct's slabs visit each chunk once.
  if (H5Pset_chunk_cache(dapl.id(), H5D_CHUNK_CACHE_NSLOTS_DEFAULT, 0, H5D_CHUNK_CACHE_W0_DEFAULT) <
      0) {
    fail(ErrorKind::Internal, "cannot set the chunk cache");
  }
  return dapl;
}

std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : path) {
    if (c == '/') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// Checked boolean queries: a failure (a dangling link on the way) counts as false.
bool link_exists_here(const File& file, const std::string& path) {
  const htri_t r = H5Lexists(file.id(), path.c_str(), file.access());
  if (r < 0) H5Eclear2(H5E_DEFAULT);
  return r > 0;
}

bool resolves_here(const File& file, const std::string& path) {
  const htri_t r = H5Oexists_by_name(file.id(), path.c_str(), file.access());
  if (r < 0) H5Eclear2(H5E_DEFAULT);
  return r > 0;
}

}  // namespace

void init() {
  // The error-printing switch is per thread in thread-safe builds of HDF5.
  thread_local bool done = false;
  if (done) return;
  H5open();
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  done = true;
}

void no_cleanup_at_exit() {
  H5dont_atexit();
}

std::string error_stack_line() {
  init();
  const auto entries = take_stack();
  return entries.empty() ? std::string() : stack_line(entries);
}

const std::string& last_error_stack() {
  return last_stack;
}

void fail(ErrorKind kind, const std::string& what) {
  const std::string line = error_stack_line();
  if (line.empty()) throw Error(kind, what, __FILE__, __LINE__);
  throw Error(kind, what + ": " + line, __FILE__, __LINE__);
}

std::string file_name_of(hid_t object) {
  const ssize_t n = H5Fget_name(object, nullptr, 0);
  if (n <= 0) return {};
  std::string name(static_cast<std::size_t>(n) + 1, '\0');
  H5Fget_name(object, name.data(), name.size());
  name.resize(static_cast<std::size_t>(n));
  return name;
}

std::string describe(hid_t object) {
  std::string name;
  const ssize_t n = H5Iget_name(object, nullptr, 0);
  if (n > 0) {
    name.assign(static_cast<std::size_t>(n) + 1, '\0');
    H5Iget_name(object, name.data(), name.size());
    name.resize(static_cast<std::size_t>(n));
  }
  H5Eclear2(H5E_DEFAULT);
  return file_name_of(object) + ":" + name;
}

// ---- files ---------------------------------------------------------------------------------

File::File(hid_t id, fs::path path) : id_(id), path_(std::move(path)) {
  std::error_code ec;
  fs::path dir = fs::absolute(path_, ec).parent_path();
  access_ = link_access(dir);
}

std::string File::where(const std::string& object) const {
  return path_.string() + ":" + object;
}

void File::close() {
  if (!id_.valid()) return;
  access_.reset();
  if (H5Fclose(id_.release()) < 0) fail(ErrorKind::OutputIO, "cannot close " + path_.string());
}

File open_file(const fs::path& path) {
  init();
  std::error_code ec;
  XCT_CHECK(fs::exists(path, ec), ErrorKind::InputMissing, "file not found: ", path.string());
  XCT_CHECK(::access(path.c_str(), R_OK) == 0, ErrorKind::InputMissing, "cannot read ",
            path.string(), " (permission denied)");
  // An absolute name makes HDF5 resolve relative external links beside this file.
  const fs::path abs = fs::absolute(path, ec);
  const hid_t id = H5Fopen(abs.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) fail_open(path, take_stack());
  return File(id, path);
}

File create_file(const fs::path& path) {
  init();
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (id < 0) fail(ErrorKind::OutputIO, "cannot create HDF5 file " + path.string());
  return File(id, path);
}

void flush(const File& file) {
  if (H5Fflush(file.id(), H5F_SCOPE_GLOBAL) < 0) {
    fail(ErrorKind::OutputIO, "cannot flush " + file.path().string());
  }
}

// ---- paths -------------------------------------------------------------------------------

std::string join_path(const std::string& parent, const std::string& child) {
  if (parent.empty() || parent == "/") return "/" + child;
  return parent.back() == '/' ? parent + child : parent + "/" + child;
}

std::string parent_path(const std::string& path) {
  const auto parts = components(path);
  std::string out = "/";
  for (std::size_t i = 0; i + 1 < parts.size(); ++i)
    out = join_path(out, parts[i]);
  return out;
}

std::string base_name(const std::string& path) {
  const auto parts = components(path);
  return parts.empty() ? std::string() : parts.back();
}

bool link_exists(const File& file, const std::string& path) {
  std::string prefix = "/";
  const auto parts = components(path);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    prefix = join_path(prefix, parts[i]);
    if (!link_exists_here(file, prefix)) return false;
    // H5Lexists fails rather than answers when a component on the way does not resolve.
    if (i + 1 < parts.size() && object_kind(file, prefix) != ObjectKind::Group) return false;
  }
  return true;
}

bool object_exists(const File& file, const std::string& path) {
  return link_exists(file, path) && resolves_here(file, path);
}

std::optional<ObjectKind> object_kind(const File& file, const std::string& path) {
  if (!resolves_here(file, path)) return std::nullopt;
  Object obj(H5Oopen(file.id(), path.c_str(), file.access()));
  if (!obj.valid()) {
    H5Eclear2(H5E_DEFAULT);
    return std::nullopt;
  }
  switch (H5Iget_type(obj.id())) {
    case H5I_GROUP:
      return ObjectKind::Group;
    case H5I_DATASET:
      return ObjectKind::Dataset;
    default:
      return ObjectKind::Other;
  }
}

Group open_group(const File& file, const std::string& path) {
  if (object_kind(file, path) != ObjectKind::Group) {
    XCT_THROW(ErrorKind::BadData, "no group ", file.where(path));
  }
  Group g(H5Oopen(file.id(), path.c_str(), file.access()));
  if (!g.valid()) fail(ErrorKind::BadData, "cannot open group " + file.where(path));
  return g;
}

Dataset open_dataset(const File& file, const std::string& path) {
  if (auto problem = path_problem(file, path)) {
    const ErrorKind kind = problem->kind == PathProblem::Kind::DanglingExternal
                               ? ErrorKind::InputMissing
                               : ErrorKind::BadData;
    XCT_THROW(kind, "no dataset ", file.where(path), ": ", problem->message());
  }
  Dataset d(H5Dopen2(file.id(), path.c_str(), file.access()));
  if (!d.valid()) fail(ErrorKind::BadData, "cannot open dataset " + file.where(path));
  return d;
}

}  // namespace xct::h5
