// Links: what a path is made of, where external links lead, and why a path does not resolve.
// Nothing here throws for a missing or dangling link; those are answers, not failures.
#include <cstdlib>

#include "io/hdf5.hpp"

namespace fs = std::filesystem;

namespace xct::h5 {

namespace {

bool exists_quiet(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

// The folder of the file that holds the link at `path` (which may be a file reached through
// another external link), as an absolute path.
fs::path linking_dir(const File& file, const std::string& path) {
  Object parent(H5Oopen(file.id(), parent_path(path).c_str(), file.access()));
  std::string name;
  if (parent.valid()) {
    const ssize_t n = H5Fget_name(parent.id(), nullptr, 0);
    if (n > 0) {
      name.assign(static_cast<std::size_t>(n) + 1, '\0');
      H5Fget_name(parent.id(), name.data(), name.size());
      name.resize(static_cast<std::size_t>(n));
    }
  }
  H5Eclear2(H5E_DEFAULT);
  std::error_code ec;
  const fs::path holder = name.empty() ? file.path() : fs::path(name);
  return fs::absolute(holder, ec).parent_path();
}

// Mirrors HDF5's search for an external link's target: the stored name when it is absolute
// and exists, else the name (base name when absolute) under HDF5_EXT_PREFIX, the link-access
// prefix (the opened file's folder), the linking file's folder, and the current directory.
void resolve_external(const File& file, const fs::path& link_dir, LinkInfo& info) {
  const fs::path stored(info.external_file);
  if (stored.is_absolute() && exists_quiet(stored)) {
    info.resolved_file = stored;
    info.target_file_exists = true;
    return;
  }
  const fs::path name = stored.is_absolute() ? stored.filename() : stored;
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("HDF5_EXT_PREFIX")) {
    std::string s(env);
    for (std::size_t pos = 0; pos <= s.size();) {
      const std::size_t end = std::min(s.find(':', pos), s.size());
      if (end > pos) dirs.emplace_back(s.substr(pos, end - pos));
      pos = end + 1;
    }
  }
  std::error_code ec;
  dirs.push_back(fs::absolute(file.path(), ec).parent_path());
  dirs.push_back(link_dir);
  dirs.push_back(fs::current_path(ec));
  for (const auto& dir : dirs) {
    if (exists_quiet(dir / name)) {
      info.resolved_file = dir / name;
      info.target_file_exists = true;
      return;
    }
  }
  info.resolved_file = stored.is_absolute() ? stored : link_dir / name;
  info.target_file_exists = false;
}

std::string read_link_value(const File& file, const std::string& path, std::size_t size,
                            std::vector<char>& buf) {
  buf.assign(size + 1, '\0');
  if (H5Lget_val(file.id(), path.c_str(), buf.data(), buf.size(), file.access()) < 0) {
    fail(ErrorKind::BadData, "cannot read the link " + file.where(path));
  }
  return std::string(buf.data());
}

herr_t collect_link(hid_t, const char* name, const H5L_info_t* info, void* data) {
  try {
    LinkType type = LinkType::Other;
    if (info->type == H5L_TYPE_HARD) type = LinkType::Hard;
    if (info->type == H5L_TYPE_SOFT) type = LinkType::Soft;
    if (info->type == H5L_TYPE_EXTERNAL) type = LinkType::External;
    static_cast<std::vector<LinkEntry>*>(data)->push_back({name, type});
  } catch (...) {
    return -1;  // no exception may cross the C library
  }
  return 0;
}

}  // namespace

LinkInfo link_info(const File& file, const std::string& path) {
  LinkInfo out;
  if (!link_exists(file, path)) return out;
  H5L_info_t info;
  if (H5Lget_info(file.id(), path.c_str(), &info, file.access()) < 0) {
    fail(ErrorKind::BadData, "cannot read the link " + file.where(path));
  }
  std::vector<char> buf;
  switch (info.type) {
    case H5L_TYPE_HARD:
      out.type = LinkType::Hard;
      break;
    case H5L_TYPE_SOFT:
      out.type = LinkType::Soft;
      out.soft_target = read_link_value(file, path, info.u.val_size, buf);
      break;
    case H5L_TYPE_EXTERNAL: {
      out.type = LinkType::External;
      read_link_value(file, path, info.u.val_size, buf);
      unsigned flags = 0;
      const char* target_file = nullptr;
      const char* target_obj = nullptr;
      if (H5Lunpack_elink_val(buf.data(), info.u.val_size, &flags, &target_file, &target_obj) < 0) {
        fail(ErrorKind::BadData, "cannot decode the external link " + file.where(path));
      }
      out.external_file = target_file ? target_file : "";
      out.external_object = target_obj ? target_obj : "";
      resolve_external(file, linking_dir(file, path), out);
      break;
    }
    default:
      out.type = LinkType::Other;
      break;
  }
  return out;
}

std::string PathProblem::message() const {
  switch (kind) {
    case Kind::Missing:
      return link_path + " does not exist";
    case Kind::DanglingExternal:
      return link_path + " is an external link to " + target + " but the file " +
             missing_file.string() + " does not exist";
    case Kind::DanglingSoft:
      return link_path + " is a link to " + target + ", which does not exist";
  }
  return link_path;
}

namespace {

std::optional<PathProblem> path_problem_in(const File& file, const std::string& path, int depth);

// An external link whose file exists but whose object does not resolve: the reason lies in
// the target file (possibly behind further links), up to a depth that breaks link cycles.
PathProblem external_problem(const std::string& link_path, const LinkInfo& li, int depth) {
  PathProblem p{
      PathProblem::Kind::DanglingSoft, link_path, li.external_file + ":" + li.external_object, {}};
  if (!li.target_file_exists) {
    p.kind = PathProblem::Kind::DanglingExternal;
    p.missing_file = li.resolved_file;
    return p;
  }
  if (depth <= 0) return p;
  // A target that exists but cannot be opened (locked while still being written, truncated)
  // throws here with that reason, which is truer than "does not resolve".
  const File target = open_file(li.resolved_file);
  if (auto inner = path_problem_in(target, li.external_object, depth - 1)) {
    inner->target = p.target + ", where " + inner->link_path + " -> " + inner->target;
    inner->link_path = link_path;
    return *inner;
  }
  return p;
}

std::optional<PathProblem> path_problem_in(const File& file, const std::string& path, int depth) {
  std::string prefix = "/";
  std::vector<std::string> parts;
  for (std::string p = path; !base_name(p).empty(); p = parent_path(p)) {
    parts.insert(parts.begin(), base_name(p));
  }
  for (std::size_t i = 0; i < parts.size(); ++i) {
    prefix = join_path(prefix, parts[i]);
    if (!link_exists(file, prefix)) return PathProblem{PathProblem::Kind::Missing, prefix, {}, {}};
    if (object_kind(file, prefix)) continue;
    const LinkInfo li = link_info(file, prefix);
    if (li.type == LinkType::External) return external_problem(prefix, li, depth);
    return PathProblem{PathProblem::Kind::DanglingSoft, prefix, li.soft_target, {}};
  }
  return std::nullopt;
}

}  // namespace

std::optional<PathProblem> path_problem(const File& file, const std::string& path) {
  return path_problem_in(file, path, 8);
}

std::vector<LinkEntry> list_links(const File& file, const std::string& group) {
  Group g = open_group(file, group);
  std::vector<LinkEntry> found;
  if (H5Lvisit(g.id(), H5_INDEX_NAME, H5_ITER_INC, collect_link, &found) < 0) {
    fail(ErrorKind::BadData, "cannot list the links below " + file.where(group));
  }
  for (auto& entry : found)
    entry.path = join_path(group, entry.path);
  return found;
}

}  // namespace xct::h5
