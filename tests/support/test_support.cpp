#include "tests/support/test_support.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>

namespace fs = std::filesystem;

namespace xct::test {

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  const fs::path base = fs::temp_directory_path();
  for (int attempt = 0; attempt < 100; ++attempt) {
    fs::path p = base / ("xct-test-" + std::to_string(::getpid()) + "-" +
                         std::to_string(counter++) + "-" + std::to_string(rd() % 100000));
    std::error_code ec;
    if (fs::create_directory(p, ec)) {
      path_ = p;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary folder");
}

TempDir::~TempDir() {
  std::error_code ec;
  // Files made read-only by a test would stop remove_all; give write access back first.
  fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
  fs::remove_all(path_, ec);
}

CommandResult run_command(const std::vector<std::string>& argv) {
  int out_pipe[2], err_pipe[2];
  if (::pipe(out_pipe) != 0 || ::pipe(err_pipe) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    std::vector<char*> args;
    for (const auto& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  CommandResult r;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[4096];
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// A test binary moved to another machine (scripts/gpu-check) finds the xct binary and the
// source tree through XCT_TEST_BINARY and XCT_TEST_SOURCE_DIR; otherwise the build's own.
CommandResult run_xct(const std::vector<std::string>& args) {
  const char* moved = std::getenv("XCT_TEST_BINARY");
  std::vector<std::string> argv{moved && *moved ? moved : XCT_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv);
}

CommandResult simulate_small_scan(const std::filesystem::path& folder, int cols, int angles,
                                  int seed) {
  return run_xct({"simulate",
                  folder.string(),
                  "--cols",
                  std::to_string(cols),
                  "--rows",
                  "8",
                  "--cell-height",
                  "32",
                  "--first-row",
                  "12",
                  "--angles",
                  std::to_string(angles),
                  "--interface-voids",
                  "0.05",
                  "--seed",
                  std::to_string(seed),
                  "--no-previews",
                  "--truth",
                  "none",
                  "--no-progress"});
}

CommandResult run_python(const std::string& code, const std::vector<std::string>& args) {
  std::vector<std::string> argv{XCT_TEST_PYTHON, "-c", code};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv);
}

fs::path real_data_dir() {
  const char* moved = std::getenv("XCT_REAL_DATA_DIR");
  return fs::path(moved && *moved ? moved : XCT_REAL_DATA_DIR);
}
fs::path source_dir() {
  const char* moved = std::getenv("XCT_TEST_SOURCE_DIR");
  return fs::path(moved && *moved ? moved : XCT_SOURCE_DIR);
}

std::size_t count_lines(const std::string& text) {
  std::size_t n = 0;
  for (char c : text)
    n += (c == '\n');
  if (!text.empty() && text.back() != '\n') ++n;
  return n;
}

std::vector<char> read_binary(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

void expect_one_error_line(const CommandResult& r) {
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_EQ(r.err.rfind("xct: error: ", 0), 0u) << r.err;
}

nlohmann::json read_json(const fs::path& file) {
  std::ifstream in(file);
  return nlohmann::json::parse(in);
}

}  // namespace xct::test
