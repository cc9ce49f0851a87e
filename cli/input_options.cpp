#include "cli/input_options.hpp"

#include <toml++/toml.h>
#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/error.hpp"

namespace xct::cli {

namespace {

// Every key of `table` must be one of `allowed`: a misspelt key is an error, not a silent
// default.
void require_known_keys(const toml::table& table, const std::set<std::string>& allowed,
                        const std::string& where) {
  for (const auto& [key, value] : table) {
    (void)value;
    XCT_CHECK(allowed.count(std::string(key.str())) > 0, ErrorKind::Usage, "unknown key '",
              key.str(), "' in ", where);
  }
}

void read_role(const toml::table* t, const std::string& where, RoleSpec& role) {
  if (!t) return;
  require_known_keys(*t, {"file", "dataset"}, where);
  role.file = (*t)["file"].value_or(role.file);
  role.dataset = (*t)["dataset"].value_or(role.dataset);
}

void read_angles(const toml::table* t, const std::string& where, AngleSpec& a) {
  if (!t) return;
  require_known_keys(
      *t, {"source", "file", "dataset", "lines", "start", "stop", "count", "endpoint", "units"},
      where);
  const std::string source = (*t)["source"].value_or(std::string("auto"));
  if (source == "auto") {
    a.kind = AngleSpec::Kind::Auto;
  } else if (source == "file") {
    a.kind = AngleSpec::Kind::TextFile;
  } else if (source == "dataset") {
    a.kind = AngleSpec::Kind::Dataset;
  } else if (source == "range") {
    a.kind = AngleSpec::Kind::Range;
  } else {
    XCT_THROW(ErrorKind::Usage, where, ".source must be auto, file, dataset or range, not '",
              source, "'");
  }
  a.file = (*t)["file"].value_or(a.file);
  a.dataset = (*t)["dataset"].value_or(a.dataset);
  if (const toml::array* lines = (*t)["lines"].as_array()) {
    XCT_CHECK(lines->size() == 2 && lines->is_homogeneous<int64_t>(), ErrorKind::Usage, where,
              ".lines must be [first, last]");
    const int64_t first = *lines->get(0)->value<int64_t>();
    const int64_t last = *lines->get(1)->value<int64_t>();
    XCT_CHECK(first >= 1 && last >= first, ErrorKind::Usage, where,
              ".lines must be 1-based with first <= last");
    a.first_line = static_cast<std::size_t>(first);
    a.last_line = static_cast<std::size_t>(last);
  }
  a.start = (*t)["start"].value_or(a.start);
  a.stop = (*t)["stop"].value_or(a.stop);
  const int64_t count = (*t)["count"].value_or(int64_t{0});
  XCT_CHECK(count >= 0, ErrorKind::Usage, where, ".count must not be negative");
  a.count = static_cast<std::size_t>(count);
  a.endpoint = (*t)["endpoint"].value_or(a.endpoint);
  const std::string units = (*t)["units"].value_or(std::string("degrees"));
  XCT_CHECK(units == "degrees" || units == "radians", ErrorKind::Usage, where,
            ".units must be degrees or radians");
  a.degrees = units == "degrees";
}

void read_metadata(const toml::table& in, LayoutSpec& spec) {
  if (auto v = in["pixel_size_um"].value<double>()) spec.pixel_size_um = *v;
  if (auto v = in["energy_kev"].value<double>()) spec.energy_kev = *v;
  if (auto v = in["distance_mm"].value<double>()) spec.distance_mm = *v;
}

}  // namespace

void apply_input_toml(const std::string& text, const std::string& origin, LayoutSpec& spec) {
  toml::table doc;
  try {
    doc = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    XCT_THROW(ErrorKind::Usage, origin, ":", where.line, ":", where.column, ": ", e.description());
  }
  const toml::table* in = doc["input"].as_table();
  if (!in) return;
  require_known_keys(*in,
                     {"path", "layout", "projections", "flats", "darks", "angles", "nexus",
                      "pixel_size_um", "energy_kev", "distance_mm"},
                     origin + " [input]");
  if (auto layout = (*in)["layout"].value<std::string>()) spec.kind = parse_layout_kind(*layout);
  read_role((*in)["projections"].as_table(), origin + " [input.projections]", spec.projections);
  read_role((*in)["flats"].as_table(), origin + " [input.flats]", spec.flats);
  read_role((*in)["darks"].as_table(), origin + " [input.darks]", spec.darks);
  read_angles((*in)["angles"].as_table(), origin + " [input.angles]", spec.angles);
  if (const toml::table* nx = (*in)["nexus"].as_table()) {
    require_known_keys(*nx, {"data", "image_key", "rotation_angle"}, origin + " [input.nexus]");
    spec.nexus_data = (*nx)["data"].value_or(spec.nexus_data);
    spec.nexus_image_key = (*nx)["image_key"].value_or(spec.nexus_image_key);
    spec.nexus_angles = (*nx)["rotation_angle"].value_or(spec.nexus_angles);
  }
  read_metadata(*in, spec);
}

namespace {

void apply_angle_flags(const InputOptions& o, AngleSpec& a) {
  if (!o.angles_file.empty()) {
    a.kind = AngleSpec::Kind::TextFile;
    a.file = o.angles_file;
  }
  if (!o.angle_lines.empty()) {
    std::size_t first = 0, last = 0;
    char dash = 0;
    std::istringstream is(o.angle_lines);
    const bool ok =
        (is >> first >> dash >> last) && dash == '-' && is.eof() && first >= 1 && last >= first;
    XCT_CHECK(ok, ErrorKind::Usage, "--angle-lines expects FIRST-LAST (1-based), not '",
              o.angle_lines, "'");
    a.first_line = first;
    a.last_line = last;
  }
  if (!o.angle_range.empty()) {
    std::istringstream is(o.angle_range);
    char c1 = 0, c2 = 0;
    std::size_t count = 0;
    bool ok = static_cast<bool>(is >> a.start >> c1 >> a.stop) && c1 == ',';
    if (ok && !is.eof()) ok = static_cast<bool>(is >> c2 >> count) && c2 == ',' && is.eof();
    XCT_CHECK(ok, ErrorKind::Usage, "--angle-range expects START,STOP[,COUNT], not '",
              o.angle_range, "'");
    a.kind = AngleSpec::Kind::Range;
    a.count = count;
  }
  if (o.no_endpoint) a.endpoint = false;
  if (o.angles_in_radians) a.degrees = false;
}

}  // namespace

LayoutSpec resolve_layout(const InputOptions& o) {
  LayoutSpec spec;
  if (!o.config_file.empty()) {
    std::error_code ec;
    XCT_CHECK(std::filesystem::exists(o.config_file, ec), ErrorKind::InputMissing,
              "config not found: ", o.config_file);
    std::ifstream in(o.config_file);
    XCT_CHECK(in.good(), ErrorKind::Usage, "cannot read config file ", o.config_file);
    std::stringstream ss;
    ss << in.rdbuf();
    apply_input_toml(ss.str(), o.config_file, spec);
  }
  if (!o.layout.empty()) spec.kind = parse_layout_kind(o.layout);
  apply_angle_flags(o, spec.angles);
  if (o.pixel_size_um) spec.pixel_size_um = o.pixel_size_um;
  return spec;
}

std::filesystem::path input_abs_path(const std::string& input) {
  std::filesystem::path p = std::filesystem::absolute(input).lexically_normal();
  return p.has_filename() ? p : p.parent_path();
}

std::filesystem::path default_output_dir(const std::string& input) {
  const auto p = input_abs_path(input);
  return p.parent_path() / (p.stem().string() + "_rec");
}

std::filesystem::path centre_record_path(const std::string& input) {
  const auto p = input_abs_path(input);
  return (std::filesystem::is_directory(p) ? p : p.parent_path()) / "xct_center.json";
}

std::optional<double> recorded_centre(const std::string& input) {
  std::ifstream in(centre_record_path(input));
  if (!in) return std::nullopt;
  try {
    const nlohmann::json doc = nlohmann::json::parse(in);
    const std::string key = input_abs_path(input).filename().string();
    if (doc.is_object() && doc.contains(key) && doc[key].contains("centre") &&
        doc[key]["centre"].is_number())
      return doc[key]["centre"].get<double>();
  } catch (const nlohmann::json::exception&) {
  }
  return std::nullopt;
}

void add_input_options(CLI::App& cmd, InputOptions& o) {
  cmd.add_option("INPUT", o.input,
                 "raw scan: HDF5 file (Data Exchange, NeXus, own layout) or "
                 "TIFF folder / multi-page TIFF")
      ->required();
  cmd.add_option("-c,--config", o.config_file,
                 "TOML config; its [input] section says how to read "
                 "the scan");
  cmd.add_option("--layout", o.layout,
                 "auto, dxchange, nexus, hdf5 (own layout from the config) "
                 "or tiff");
  cmd.add_option("--angles-file", o.angles_file, "text file of angles, one per line");
  cmd.add_option("--angle-lines", o.angle_lines,
                 "lines of the angle file that belong to the projections, FIRST-LAST (1-based)");
  cmd.add_option("--angle-range", o.angle_range,
                 "angles START,STOP[,COUNT] (COUNT defaults to the projection count)");
  cmd.add_flag("--no-endpoint", o.no_endpoint, "the angle range stops one step short of STOP");
  cmd.add_flag("--angles-in-radians", o.angles_in_radians, "angle values are radians, not degrees");
  cmd.add_option("--pixel-size", o.pixel_size_um, "detector pixel size in micrometres");
}

}  // namespace xct::cli
