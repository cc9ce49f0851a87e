#include "io/tiff_files.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

#include "core/error.hpp"
#include "io/angles.hpp"

namespace fs = std::filesystem;

namespace xct::tiff_detail {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool is_tiff_name(const fs::path& p) {
  const std::string ext = lower(p.extension().string());
  return ext == ".tif" || ext == ".tiff";
}

// Flats and darks are told from projections by the start of their names, as beamline
// software writes them (flat_, flats/, bright_, white_; dark_, darks/).
bool is_flat_name(const fs::path& p) {
  const std::string n = lower(p.filename().string());
  return n.rfind("flat", 0) == 0 || n.rfind("bright", 0) == 0 || n.rfind("white", 0) == 0;
}
bool is_dark_name(const fs::path& p) {
  return lower(p.filename().string()).rfind("dark", 0) == 0;
}

bool has_wildcard(const std::string& s) {
  return s.find_first_of("*?[") != std::string::npos;
}

// Entries of a folder, sorted by name, skipping hidden ones (".raw_0001.tif" AppleDouble files
// from macOS, our own temporary files).
std::vector<fs::directory_entry> list_folder(const fs::path& folder) {
  std::error_code ec;
  std::vector<fs::directory_entry> out;
  fs::directory_iterator it(folder, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    if (it->path().filename().string().rfind('.', 0) != 0) out.push_back(*it);
  }
  XCT_CHECK(!ec, ErrorKind::BadData, "cannot list the folder ", folder.string(), ": ",
            ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<fs::path> tiff_files_in(const fs::path& folder) {
  std::vector<fs::path> out;
  for (const auto& e : list_folder(folder)) {
    std::error_code ec;
    if (e.is_regular_file(ec) && is_tiff_name(e.path())) out.push_back(e.path());
  }
  return out;
}

// The files a pattern such as "proj_*.tif" names; wildcards only in the file name.
std::vector<fs::path> glob_files(const fs::path& pattern) {
  const fs::path dir = pattern.parent_path().empty() ? fs::path(".") : pattern.parent_path();
  XCT_CHECK(!has_wildcard(dir.string()), ErrorKind::Usage,
            "wildcards are allowed in file names only, not in folders: ", pattern.string());
  std::error_code ec;
  XCT_CHECK(fs::is_directory(dir, ec), ErrorKind::InputMissing, "folder not found: ", dir.string(),
            " (for ", pattern.string(), ")");
  std::vector<fs::path> out;
  const std::string pat = pattern.filename().string();
  for (const auto& e : list_folder(dir)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file(ec) && ::fnmatch(pat.c_str(), name.c_str(), 0) == 0) {
      out.push_back(e.path());
    }
  }
  XCT_CHECK(!out.empty(), ErrorKind::InputMissing, "no files match ", pattern.string());
  return out;
}

// The last run of digits in a file name ("raw_00012.tiff" -> 12).
std::optional<std::uint64_t> last_integer(const std::string& stem) {
  const auto end = stem.find_last_of("0123456789");
  if (end == std::string::npos) return std::nullopt;
  const auto before = stem.find_last_not_of("0123456789", end);
  const std::size_t begin = before == std::string::npos ? 0 : before + 1;
  std::uint64_t v = 0;
  const auto res = std::from_chars(stem.data() + begin, stem.data() + end + 1, v);
  if (res.ec != std::errc()) return std::nullopt;
  return v;
}

}  // namespace

std::vector<fs::path> resolve_role(const fs::path& base, const std::string& name, FrameRole role) {
  const fs::path p = resolve_path(base, name);
  if (has_wildcard(p.filename().string())) return glob_files(p);
  std::error_code ec;
  XCT_CHECK(fs::exists(p, ec), ErrorKind::InputMissing, role_name(role),
            " not found: ", p.string());
  if (!fs::is_directory(p, ec)) return {p};
  std::vector<fs::path> files = tiff_files_in(p);
  XCT_CHECK(!files.empty(), ErrorKind::BadData, "no TIFF ", role_name(role), " found in ",
            p.string());
  return files;
}

RoleFiles discover(const fs::path& folder) {
  RoleFiles r;
  std::vector<fs::path> top, subdirs;
  for (const auto& e : list_folder(folder)) {
    std::error_code ec;
    if (e.is_directory(ec)) subdirs.push_back(e.path());
    if (e.is_regular_file(ec) && is_tiff_name(e.path())) top.push_back(e.path());
  }
  for (const char* name : {"tomo", "proj", "projections", "tiffs", "data"}) {
    for (const auto& d : subdirs) {
      if (r.projections.empty() && lower(d.filename().string()) == name) {
        r.projections = tiff_files_in(d);
      }
    }
  }
  const bool projections_in_subfolder = !r.projections.empty();
  for (const auto& f : top) {
    if (is_flat_name(f)) {
      r.flats.push_back(f);
    } else if (is_dark_name(f)) {
      r.darks.push_back(f);
    } else if (!projections_in_subfolder) {
      r.projections.push_back(f);
    }
  }
  for (const auto& d : subdirs) {
    if (!is_flat_name(d) && !is_dark_name(d)) continue;
    auto& role = is_flat_name(d) ? r.flats : r.darks;
    const auto files = tiff_files_in(d);
    role.insert(role.end(), files.begin(), files.end());
  }
  return r;
}

std::vector<fs::path> order_files(const std::vector<fs::path>& files, FrameRole role,
                                  std::vector<std::string>& warnings) {
  std::vector<std::pair<std::uint64_t, fs::path>> keyed;
  for (const auto& f : files) {
    const auto index = last_integer(f.stem().string());
    if (!index) {
      // Flats and darks without numbers ("flat_before.tif") are fine in name order; the order
      // of projections must be known.
      XCT_CHECK(role != FrameRole::Projection || files.size() == 1, ErrorKind::BadData,
                "cannot order the projection files: ", f.string(), " has no index number");
      std::vector<fs::path> sorted = files;
      std::sort(sorted.begin(), sorted.end());
      return sorted;
    }
    keyed.emplace_back(*index, f);
  }
  std::sort(keyed.begin(), keyed.end());
  std::vector<fs::path> out;
  std::size_t gaps = 0;
  for (std::size_t i = 0; i < keyed.size(); ++i) {
    if (i > 0) {
      XCT_CHECK(keyed[i].first != keyed[i - 1].first, ErrorKind::BadData, role_name(role),
                " files ", keyed[i - 1].second.string(), " and ", keyed[i].second.string(),
                " have the same index ", keyed[i].first);
      gaps += keyed[i].first != keyed[i - 1].first + 1;
    }
    out.push_back(keyed[i].second);
  }
  if (gaps > 0 && role == FrameRole::Projection) {
    warnings.push_back("projection file numbers have " + std::to_string(gaps) + " gap(s) (from " +
                       out.front().filename().string() + " to " + out.back().filename().string() +
                       ")");
  }
  return out;
}

}  // namespace xct::tiff_detail
