#include "io/isolate.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <exception>

namespace xct {

namespace {

// The child writes "<code> <message>" on the pipe: code 0 for success, else 1 + ErrorKind.
[[noreturn]] void child_main(int fd, const std::function<void()>& fn) {
  std::string out;
  try {
    fn();
    out = "0 ";
  } catch (const Error& e) {
    out = std::to_string(1 + static_cast<int>(e.kind())) + " " + e.what();
  } catch (const std::exception& e) {
    out = std::to_string(1 + static_cast<int>(ErrorKind::Internal)) + " " + e.what();
  }
  for (std::size_t off = 0; off < out.size();) {
    const ssize_t n = ::write(fd, out.data() + off, out.size() - off);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  ::_exit(0);  // no atexit handlers, no flushing of buffers copied from the parent
}

// Reads the pipe until the child closes it or the deadline passes; false on timeout.
bool read_until_closed(int fd, double timeout_s, std::string& text) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + std::chrono::duration<double>(timeout_s);
  char buf[4096];
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1 << 30)));
    if (ready < 0 && errno != EINTR) return true;
    if (ready <= 0) continue;
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return true;
    text.append(buf, static_cast<std::size_t>(n));
  }
}

IsolatedResult parse_outcome(const std::string& text) {
  IsolatedResult r;
  const std::size_t space = text.find(' ');
  const int code = std::atoi(text.substr(0, space).c_str());
  if (code == 0) return r;
  r.status = IsolatedResult::Status::Threw;
  r.kind = static_cast<ErrorKind>(code - 1);
  r.message = space == std::string::npos ? std::string() : text.substr(space + 1);
  return r;
}

}  // namespace

IsolatedResult run_isolated(const std::function<void()>& fn, double timeout_s) {
  int fds[2];
  XCT_CHECK(::pipe(fds) == 0, ErrorKind::Internal, "pipe failed: ", std::strerror(errno));
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    XCT_THROW(ErrorKind::Internal, "fork failed: ", std::strerror(errno));
  }
  if (pid == 0) {
    // A probe stuck in a loop must not outlive a parent that was killed (by cron's timeout,
    // say): the kernel ends the child with its parent.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);  // the parent died before prctl
    ::close(fds[0]);
    child_main(fds[1], fn);
  }
  ::close(fds[1]);
  std::string text;
  const bool finished = read_until_closed(fds[0], timeout_s, text);
  ::close(fds[0]);
  if (!finished) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  IsolatedResult r;
  if (!finished) {
    r.status = IsolatedResult::Status::TimedOut;
  } else if (WIFSIGNALED(status)) {
    r.status = IsolatedResult::Status::Crashed;
    r.signal = WTERMSIG(status);
    r.message = strsignal(r.signal);
  } else if (text.empty()) {
    r.status = IsolatedResult::Status::Crashed;  // exited without a word: treat as a crash
    r.message = "exited without reporting";
  } else {
    r = parse_outcome(text);
  }
  return r;
}

}  // namespace xct
