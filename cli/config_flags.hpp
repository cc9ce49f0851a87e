// Config tables whose keys are a command's long flag names, and the command line as recorded
// beside outputs.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace xct::cli {

// Sets every option named in the config's [table] that the command line left unset, as if it
// had been given there; the command line wins. An unknown key or a bad value is a usage
// error; so is a missing table when `required`.
// With `groups`, a key must name an option of one of those flag groups.
void apply_config_table(CLI::App& cmd, const std::string& file, const std::string& table,
                        bool required, const std::vector<std::string>& groups = {});

// The command's options of flag group `group` as the body of a TOML table, one
// `key = value  # description` line each: the value given, else the default; options without
// either are written commented out. `overrides` replace the value of the named keys.
std::string resolved_table(const CLI::App& cmd, const std::string& group,
                           const std::map<std::string, std::string>& overrides = {});

// "xct ARG ARG ...", as recorded in the outputs.
std::string full_command(const std::vector<std::string>& args);

}  // namespace xct::cli
