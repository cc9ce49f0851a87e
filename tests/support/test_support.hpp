// Helpers shared by the test executables: temporary folders, running the xct binary and
// Python oracles, and the locations of the real data.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace xct::test {

// A fresh, empty folder removed (with its content) when the object goes out of scope.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs a program with arguments (no shell), capturing stdout and stderr.
CommandResult run_command(const std::vector<std::string>& argv);
// Runs the xct binary built with the tests.
CommandResult run_xct(const std::vector<std::string>& args);
// `xct simulate FOLDER` of a small band through the cell, as the reliability tests use: rows
// 12-19 of a detector `cols` wide (cell 32 rows high), `angles` projections, interface voids
// covering 0.05 of the contact, no previews or truth; FOLDER/scan_t00.h5 is the scan.
CommandResult simulate_small_scan(const std::filesystem::path& folder, int cols, int angles,
                                  int seed);
// Runs a Python snippet with the oracle interpreter (h5py, numpy, tifffile).
CommandResult run_python(const std::string& code, const std::vector<std::string>& args = {});

// The real measured scans (../shared/data/real beside the checkout, or $XCT_REAL_DATA_DIR).
std::filesystem::path real_data_dir();
std::filesystem::path source_dir();

// Counts the lines of `text`.
std::size_t count_lines(const std::string& text);

// A command's failure as xct reports it: exactly one line on stderr, "xct: error: ...".
void expect_one_error_line(const CommandResult& r);

// A JSON file (a report, a record, the simulator's truth).
nlohmann::json read_json(const std::filesystem::path& file);

// Reads a whole binary file.
std::vector<char> read_binary(const std::filesystem::path& path);

// The kind of the xct::Error that f() throws; Internal when it throws none (which no test
// expects, so the comparison fails).
template <typename F>
ErrorKind thrown_kind(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  return ErrorKind::Internal;
}

}  // namespace xct::test
