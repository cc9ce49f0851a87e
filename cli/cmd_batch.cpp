// `xct batch FOLDER|MANIFEST --config CONFIG`: the night's scans, unattended. Each scan runs
// the chain the config names (recon; segment; then track over the scans done), each step as its
// own `xct` process whose output goes to the scan's log, so a failure of one scan never stops
// the others. Per scan, in OUT/<name>/:
//
//   .lock        held (flock) while a batch works on the scan: two batches started at once
//                never process the same scan
//   log.txt      the steps' output, with timestamped lines
//   recon/, segment/   the outputs of the steps
//   batch.json   written last, when every step is done: the input's fingerprint (size, mtime,
//                a checksum of its first and last 64 KiB, where HDF5 keeps its metadata) and
//                the config's, so that a rerun skips the scan while neither changed
//
// and OUT/summary.json lists every scan with its status (done, skipped, failed with the reason,
// retry later), timings and outputs. Exit: 0 when every scan is done or skipped; the first
// failure's code when a scan failed; else 75 when a scan was left for later (still being
// written: modified within --settle seconds, or an HDF5 file locked by its writer).
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/child.hpp"
#include "cli/commands.hpp"
#include "cli/config_flags.hpp"
#include "cli/fingerprint.hpp"
#include "core/error.hpp"
#include "core/logger.hpp"
#include "core/version.hpp"
#include "io/atomic_file.hpp"

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace xct::cli {

namespace {

const char* const kBatchGroup = "Batch";

struct BatchOptions {
  std::string input;
  std::string config_file;
  std::string pattern = "*.h5,*.nxs,*.hdf5";
  std::string steps = "recon";
  std::string out, summary;
  double settle = 5;
};

bool glob_match(const char* p, const char* s) {
  if (*p == '\0') return *s == '\0';
  if (*p == '*') return glob_match(p + 1, s) || (*s && glob_match(p, s + 1));
  return *s && (*p == '?' || *p == *s) && glob_match(p + 1, s + 1);
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, sep)) {
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t\r") + 1);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// The scans: a folder's entries matching any of the patterns (comma-separated), or a manifest's
// lines (one path each, relative to the manifest's folder; '#' starts a comment).
std::vector<fs::path> find_scans(const fs::path& input, const std::string& pattern) {
  std::error_code ec;
  std::vector<fs::path> scans;
  if (fs::is_directory(input, ec)) {
    const auto globs = split(pattern, ',');
    for (const auto& e : fs::directory_iterator(input, ec)) {
      const std::string name = e.path().filename().string();
      if (name.empty() || name[0] == '.') continue;
      for (const auto& g : globs)
        if (glob_match(g.c_str(), name.c_str())) {
          scans.push_back(e.path());
          break;
        }
    }
    XCT_CHECK(!ec, ErrorKind::InputMissing, "cannot list ", input.string(), ": ", ec.message());
    std::sort(scans.begin(), scans.end());
    return scans;
  }
  std::ifstream in(input);
  XCT_CHECK(in.good(), ErrorKind::InputMissing,
            "scan folder or manifest not found: ", input.string());
  std::string line;
  while (std::getline(in, line)) {
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    line.erase(0, line.find_first_not_of(" \t"));
    line.erase(line.find_last_not_of(" \t\r") + 1);
    if (line.empty()) continue;
    fs::path p(line);
    scans.push_back(p.is_absolute() ? p : input.parent_path() / p);
  }
  return scans;
}

// Seconds since the input (or anything in it) was last modified.
double age_seconds(const json& fp) {
  const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return static_cast<double>(now - fp["mtime_ns"].get<long long>()) * 1e-9;
}

// Runs `xct --no-progress ARGS...` with its output appended to `log_file`, between timestamped
// `batch:` lines (the command, then its exit status); returns its exit status.
int run_step(const std::vector<std::string>& args, const fs::path& log_file) {
  std::vector<std::string> all = {"--no-progress"};
  all.insert(all.end(), args.begin(), args.end());
  {
    std::ofstream log(log_file, std::ios::app);
    log << timestamp_now() << " batch: " << full_command(all) << "\n";
  }
  const int rc = run_xct_child(all, log_file, true);
  std::ofstream log(log_file, std::ios::app);
  log << timestamp_now() << " batch: exit " << rc << "\n";
  return rc;
}

// The last line of a step's log that says what went wrong.
std::string last_error(const fs::path& log_file) {
  std::ifstream in(log_file);
  std::string line, found;
  while (std::getline(in, line))
    if (line.rfind("xct: error: ", 0) == 0) found = line.substr(12);
  return found.empty() ? "see " + log_file.string() : found;
}

struct ScanResult {
  std::string name, input, status, reason;
  int exit_code = 0;
  double seconds = 0;
  json outputs = json::object();
  fs::path folder;
};

class ScanLock {
 public:
  explicit ScanLock(const fs::path& file) {
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    held_ = fd_ >= 0 && ::flock(fd_, LOCK_EX | LOCK_NB) == 0;
  }
  ~ScanLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  bool held() const { return held_; }

 private:
  int fd_ = -1;
  bool held_ = false;
};

int exit_code_for(int rc) {
  return rc == 0 ? 0 : rc;
}

void run_batch(CLI::App& cmd, BatchOptions& o, Context& ctx) {
  XCT_CHECK(!o.config_file.empty(), ErrorKind::Usage, "xct batch needs --config CONFIG");
  {
    std::error_code ec;
    XCT_CHECK(fs::exists(o.config_file, ec), ErrorKind::InputMissing,
              "config not found: ", o.config_file);
  }
  apply_config_table(cmd, o.config_file, "batch", false, {kBatchGroup});
  const auto steps = split(o.steps, ',');
  for (const auto& s : steps)
    XCT_CHECK(s == "recon" || s == "segment" || s == "track", ErrorKind::Usage, "step '", s,
              "' is not recon, segment or track");
  XCT_CHECK(std::find(steps.begin(), steps.end(), "recon") != steps.end(), ErrorKind::Usage,
            "the steps must include recon");
  XCT_CHECK(o.settle >= 0, ErrorKind::Usage, "--settle must not be negative");
  const fs::path input = fs::absolute(o.input).lexically_normal();
  const fs::path config = fs::absolute(o.config_file);
  const fs::path root = o.out.empty() ? input.parent_path() / (input.filename().string() + "_batch")
                                      : fs::path(o.out);
  const fs::path summary_file = o.summary.empty() ? root / "summary.json" : fs::path(o.summary);
  std::error_code ec;
  fs::create_directories(root, ec);
  XCT_CHECK(!ec, ErrorKind::OutputIO, "cannot create ", root.string(), ": ", ec.message());

  // What a scan's outputs are made from besides the scan: the config's text, the steps and
  // the program.
  Fnv cfg;
  {
    std::ifstream in(config, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    cfg.add(s.str());
    cfg.add(o.steps);
    cfg.add(std::string(kGitDescribe));
  }
  const std::string config_hash = cfg.hex();

  const auto scans = find_scans(input, o.pattern);
  ctx.log.info("batch: ", scans.size(), " scan(s) in ", input.string(), ", outputs in ",
               root.string());
  const auto started = timestamp_now();
  std::vector<ScanResult> results;
  for (const auto& scan : scans) {
    ScanResult r;
    r.input = scan.string();
    r.name = scan.filename().string();
    if (const auto dot = r.name.find('.'); dot != std::string::npos && dot > 0)
      r.name = r.name.substr(0, dot);
    r.folder = root / r.name;
    const auto t0 = std::chrono::steady_clock::now();
    auto finish = [&](const std::string& status, const std::string& reason, int code) {
      r.status = status;
      r.reason = reason;
      r.exit_code = code;
      r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      ctx.log.info("batch: ", r.name, ": ", status, reason.empty() ? "" : ": ", reason);
      results.push_back(r);
    };
    if (!fs::exists(scan, ec)) {
      finish("failed", "input not found: " + scan.string(), 66);
      continue;
    }
    fs::create_directories(r.folder, ec);
    if (ec) {
      finish("failed", "cannot create " + r.folder.string() + ": " + ec.message(), 74);
      continue;
    }
    ScanLock lock(r.folder / ".lock");
    if (!lock.held()) {
      finish("skipped", "being processed by another batch (locked)", 0);
      continue;
    }
    const json fp = fingerprint(scan);
    const fs::path marker = r.folder / "batch.json";
    if (fs::exists(marker, ec)) {
      try {
        std::ifstream in(marker);
        const auto done = json::parse(in);
        if (done.at("input") == fp && done.at("config_hash") == config_hash) {
          r.outputs = done.at("outputs");
          finish("skipped", "done before, from the same input and config", 0);
          continue;
        }
      } catch (const json::exception&) {
      }
      fs::remove(marker, ec);
      ctx.log.info("batch: ", r.name, ": input or config changed since it was done: redoing it");
    }
    if (o.settle > 0 && age_seconds(fp) < o.settle) {
      finish("retry later", "modified less than " + std::to_string(o.settle) + " s ago", 75);
      continue;
    }
    const fs::path log_file = r.folder / "log.txt";
    bool ok = true;
    const fs::path recon_dir = r.folder / "recon";
    int rc = run_step({"recon", scan.string(), "--config", config.string(), "--out",
                       recon_dir.string(), "--overwrite"},
                      log_file);
    if (rc == 75) {
      finish("retry later", last_error(log_file), 75);
      continue;
    }
    if (rc != 0) {
      finish("failed", "recon: " + last_error(log_file), exit_code_for(rc));
      continue;
    }
    r.outputs["recon"] = recon_dir.string();
    if (std::find(steps.begin(), steps.end(), "segment") != steps.end()) {
      const fs::path seg_dir = r.folder / "segment";
      rc = run_step({"segment", recon_dir.string(), "--config", config.string(), "-o",
                     seg_dir.string(), "--overwrite"},
                    log_file);
      if (rc != 0) {
        finish("failed", "segment: " + last_error(log_file), exit_code_for(rc));
        ok = false;
      } else {
        r.outputs["segment"] = seg_dir.string();
      }
    }
    if (!ok) continue;
    // The input must not have changed while it was processed.
    if (fingerprint(scan) != fp) {
      finish("retry later", "the input changed while it was processed", 75);
      continue;
    }
    write_file_atomic(marker, json{{"input", fp},
                                   {"config_hash", config_hash},
                                   {"config", config.string()},
                                   {"steps", o.steps},
                                   {"xct_version", kGitDescribe},
                                   {"finished", timestamp_now()},
                                   {"outputs", r.outputs}}
                                      .dump(2) +
                                  "\n");
    r.outputs["log"] = log_file.string();
    finish("done", "", 0);
  }

  // Tracking over the scans done (in name order), when configured.
  json track = nullptr;
  if (std::find(steps.begin(), steps.end(), "track") != steps.end()) {
    std::vector<std::string> vols;
    for (const auto& r : results)
      if ((r.status == "done" || r.status == "skipped") && r.outputs.contains("recon"))
        vols.push_back(r.outputs["recon"].get<std::string>());
    if (vols.size() >= 2) {
      const fs::path track_dir = root / "track";
      fs::create_directories(track_dir, ec);
      const fs::path log_file = root / "track_log.txt";
      std::vector<std::string> args = {"track"};
      args.insert(args.end(), vols.begin(), vols.end());
      args.insert(args.end(), {"--input-kind", "volume", "--config", config.string(), "-o",
                               track_dir.string(), "--overwrite"});
      const int rc = run_step(args, log_file);
      track = {{"status", rc == 0 ? "done" : "failed"},
               {"exit_code", rc},
               {"reason", rc == 0 ? "" : last_error(log_file)},
               {"report", (track_dir / "report.html").string()},
               {"log", log_file.string()}};
    } else {
      track = {{"status", "skipped"}, {"reason", "fewer than two scans done"}};
    }
  }

  int code = 0;
  bool later = false;
  std::size_t n_done = 0, n_skipped = 0, n_failed = 0, n_later = 0;
  json list = json::array();
  for (const auto& r : results) {
    if (r.status == "failed" && code == 0) code = r.exit_code;
    later = later || r.status == "retry later";
    n_done += r.status == "done";
    n_skipped += r.status == "skipped";
    n_failed += r.status == "failed";
    n_later += r.status == "retry later";
    list.push_back({{"name", r.name},
                    {"input", r.input},
                    {"status", r.status},
                    {"reason", r.reason},
                    {"exit_code", r.exit_code},
                    {"seconds", r.seconds},
                    {"folder", r.folder.string()},
                    {"outputs", r.outputs}});
  }
  if (code == 0 && track.is_object() && track["status"] == "failed")
    code = track["exit_code"].get<int>();
  if (code == 0 && later) code = 75;
  const json summary = {{"command", full_command(ctx.argv)},
                        {"xct_version", kGitDescribe},
                        {"started", started},
                        {"finished", timestamp_now()},
                        {"input", input.string()},
                        {"config", config.string()},
                        {"steps", o.steps},
                        {"counts",
                         {{"scans", results.size()},
                          {"done", n_done},
                          {"skipped", n_skipped},
                          {"failed", n_failed},
                          {"retry_later", n_later}}},
                        {"exit_code", code},
                        {"scans", list},
                        {"track", track}};
  write_file_atomic(summary_file, summary.dump(2) + "\n");
  std::printf("scans    %zu: %zu done, %zu skipped, %zu failed, %zu retry later\n", results.size(),
              n_done, n_skipped, n_failed, n_later);
  std::printf("summary  %s\n", summary_file.string().c_str());
  ctx.exit_code = code;
  if (code != 0) {
    for (const auto& r : results)
      if (r.status == "failed")
        std::fprintf(stderr, "xct: error: %s: %s\n", r.name.c_str(), r.reason.c_str());
    if (code == 75 && n_failed == 0)
      std::fprintf(stderr, "xct: retry later: %zu scan(s) still being written\n", n_later);
  }
}

}  // namespace

void register_batch(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<BatchOptions>();
  CLI::App* cmd = app.add_subcommand(
      "batch", "Process a folder of scans unattended: skip what is done, lock, summarise");
  cmd->add_option("INPUT", o->input, "a folder of scans, or a manifest (one scan path a line)")
      ->required();
  cmd->add_option("--config", o->config_file,
                  "TOML config: a [batch] table (keys: the long flags below) and the tables of "
                  "the steps ([preprocess], [recon], [output]; [segment]; [track])")
      ->required();
  const char* g = kBatchGroup;
  cmd->add_option("--pattern", o->pattern, "scans in a folder: globs, comma-separated")
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--steps", o->steps, "the chain per scan: recon[,segment][,track]")
      ->capture_default_str()
      ->group(g);
  cmd->add_option("-o,--out", o->out, "output root (default: INPUT + _batch beside it)")->group(g);
  cmd->add_option("--summary", o->summary, "summary file (default: OUT/summary.json)")->group(g);
  cmd->add_option("--settle", o->settle,
                  "a scan modified less than this many seconds ago is still being written")
      ->capture_default_str()
      ->group(g);
  cmd->callback([o, cmd, &ctx]() { run_batch(*cmd, *o, ctx); });
}

}  // namespace xct::cli
