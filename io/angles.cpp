#include "io/angles.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>

#include "core/error.hpp"
#include "core/geometry.hpp"

namespace fs = std::filesystem;

namespace xct {

std::vector<double> read_angle_text(const fs::path& file, std::size_t first_line,
                                    std::size_t last_line) {
  XCT_CHECK(fs::exists(file), ErrorKind::InputMissing, "angle file not found: ", file.string());
  std::ifstream in(file);
  XCT_CHECK(in.good(), ErrorKind::InputMissing, "cannot open angle file ", file.string());
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  // A trailing blank line (a final newline) is not a line of data.
  while (!lines.empty() && lines.back().find_first_not_of(" \t\r") == std::string::npos) {
    lines.pop_back();
  }
  const std::size_t first = first_line == 0 ? 1 : first_line;
  const std::size_t last = last_line == 0 ? lines.size() : last_line;
  XCT_CHECK(first <= last && last <= lines.size(), ErrorKind::BadData, "angle file ", file.string(),
            " has ", lines.size(), " lines; lines ", first, "-", last, " were asked for");
  std::vector<double> out;
  out.reserve(last - first + 1);
  for (std::size_t i = first; i <= last; ++i) {
    const std::string& s = lines[i - 1];
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    const bool rest_blank =
        end && std::string(end).find_first_not_of(" \t\r,") == std::string::npos;
    XCT_CHECK(end != s.c_str() && rest_blank && errno == 0 && std::isfinite(v), ErrorKind::BadData,
              "angle file ", file.string(), " line ", i, " is not a number: '", s, "'");
    out.push_back(v);
  }
  return out;
}

std::vector<double> angles_from_spec(const AngleSpec& spec, const fs::path& base_dir,
                                     std::size_t n_proj) {
  switch (spec.kind) {
    case AngleSpec::Kind::TextFile:
      XCT_CHECK(!spec.file.empty(), ErrorKind::Usage, "angles from a text file need a file name");
      return read_angle_text(resolve_path(base_dir, spec.file), spec.first_line, spec.last_line);
    case AngleSpec::Kind::Range: {
      const std::size_t count = spec.count ? spec.count : n_proj;
      XCT_CHECK(count > 0, ErrorKind::Usage, "an angle range needs a count");
      XCT_CHECK(std::isfinite(spec.start) && std::isfinite(spec.stop) && spec.start != spec.stop,
                ErrorKind::Usage, "an angle range needs distinct finite start and stop");
      return angle_range(spec.start, spec.stop, count, spec.endpoint);
    }
    case AngleSpec::Kind::Auto:
    case AngleSpec::Kind::Dataset:
      break;
  }
  XCT_THROW(ErrorKind::Internal, "angles_from_spec handles text files and ranges only");
}

void set_scan_angles(ScanInfo& info, std::vector<double> stored, bool degrees, std::string where) {
  info.angles_rad.resize(stored.size());
  for (std::size_t i = 0; i < stored.size(); ++i) {
    info.angles_rad[i] = degrees ? deg_to_rad(stored[i]) : stored[i];
  }
  info.angles_as_stored = std::move(stored);
  info.angles_stored_in_degrees = degrees;
  info.angles_where = std::move(where);
}

fs::path resolve_path(const fs::path& base_dir, const std::string& name) {
  const fs::path p(name);
  return p.is_absolute() ? p : base_dir / p;
}

fs::path base_dir_of(const fs::path& input) {
  std::error_code ec;
  if (fs::is_directory(input, ec)) return input;
  const fs::path parent = input.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

}  // namespace xct
