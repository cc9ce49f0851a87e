#include "cli/config_flags.hpp"

#include <toml++/toml.h>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "core/error.hpp"

namespace xct::cli {

namespace {

// The TOML value as the text a flag would have been given; empty for a false switch.
std::string flag_text(const toml::node& node, const std::string& where) {
  if (node.is_string()) return node.as_string()->get();
  if (node.is_boolean()) return node.as_boolean()->get() ? "true" : "";
  if (node.is_integer()) return std::to_string(node.as_integer()->get());
  if (node.is_floating_point()) {
    std::ostringstream os;
    os.precision(17);
    os << node.as_floating_point()->get();
    return os.str();
  }
  XCT_THROW(ErrorKind::Usage, where, " must be a string, number or boolean");
}

}  // namespace

void apply_config_table(CLI::App& cmd, const std::string& file, const std::string& table_name,
                        bool required, const std::vector<std::string>& groups) {
  {
    std::error_code ec;
    XCT_CHECK(std::filesystem::exists(file, ec), ErrorKind::InputMissing,
              "config not found: ", file);
  }
  toml::table doc;
  try {
    doc = toml::parse_file(file);
  } catch (const toml::parse_error& e) {
    XCT_THROW(ErrorKind::Usage, "cannot read config ", file, ": ", e.description(), " (line ",
              e.source().begin.line, ")");
  }
  const toml::table* table = doc[table_name].as_table();
  if (table == nullptr) {
    XCT_CHECK(!required, ErrorKind::Usage, "config ", file, " has no [", table_name, "] table");
    return;
  }
  for (const auto& [key, node] : *table) {
    const std::string name(key.str());
    const std::string where = "config " + file + ": [" + table_name + "] " + name;
    CLI::Option* opt = cmd.get_option_no_throw("--" + name);
    XCT_CHECK(opt != nullptr && name != "config", ErrorKind::Usage, "config ", file,
              ": unknown key [", table_name, "] ", name,
              " (keys are the long flag names of 'xct help ", cmd.get_name(), "')");
    XCT_CHECK(
        groups.empty() || std::find(groups.begin(), groups.end(), opt->get_group()) != groups.end(),
        ErrorKind::Usage, "config ", file, ": key [", table_name, "] ", name,
        " belongs in another table (its flag is in the '", opt->get_group(),
        "' group of 'xct help ", cmd.get_name(), "')");
    if (opt->count() > 0) continue;  // the command line wins
    const std::string value = flag_text(node, where);
    if (value.empty()) continue;  // a switch set to false is a switch not given
    try {
      opt->add_result(value);
      opt->run_callback();
    } catch (const CLI::ParseError& e) {
      XCT_THROW(ErrorKind::Usage, where, " = ", value, ": ", e.what());
    }
  }
}

namespace {

// A flag's text as a TOML value: numbers and booleans bare, anything else quoted.
std::string toml_value(const std::string& text) {
  if (text == "true" || text == "false") return text;
  char* end = nullptr;
  std::strtod(text.c_str(), &end);
  if (!text.empty() && end == text.c_str() + text.size() &&
      text.find_first_of("xXnN") == std::string::npos)
    return text;
  std::ostringstream os;
  os << toml::value<std::string>(text);
  return os.str();
}

}  // namespace

std::string resolved_table(const CLI::App& cmd, const std::string& group,
                           const std::map<std::string, std::string>& overrides) {
  std::ostringstream os;
  for (const CLI::Option* opt : cmd.get_options()) {
    if (opt->get_group() != group || opt->get_lnames().empty()) continue;
    const std::string key = opt->get_lnames().front();
    std::string value;
    bool known = true;
    if (auto o = overrides.find(key); o != overrides.end()) {
      value = o->second;
    } else if (opt->get_expected_max() == 0) {  // a switch
      value = opt->count() > 0 ? "true" : "false";
    } else if (opt->count() > 0) {
      value = toml_value(opt->as<std::string>());
    } else if (!opt->get_default_str().empty()) {
      value = toml_value(opt->get_default_str());
    } else {
      known = false;
    }
    std::string line = known ? key + " = " + value : "# " + key + " =";
    if (line.size() < 32) line.resize(32, ' ');
    os << line << "  # " << opt->get_description() << "\n";
  }
  return os.str();
}

std::string full_command(const std::vector<std::string>& args) {
  std::string s = "xct";
  for (const auto& a : args)
    s += " " + a;
  return s;
}

}  // namespace xct::cli
