// Config tables whose keys are a command's long flag names, and the command line as recorded
// beside outputs.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace xct::cli {

// Sets every option named in the config's [table] that the command line left unset, as if it
// had been given there; the command line wins. An unknown key or a bad value is a usage
// error; so is a missing table when `required`.
void apply_config_table(CLI::App& cmd, const std::string& file, const std::string& table,
                        bool required);

// "xct ARG ARG ...", as recorded in the outputs.
std::string full_command(const std::vector<std::string>& args);

}  // namespace xct::cli
