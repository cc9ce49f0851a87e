#include "io/isolate.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>

namespace xct {
namespace {

using Status = IsolatedResult::Status;

TEST(Isolate, SuccessIsReported) {
  const IsolatedResult r = run_isolated([] {}, 10);
  EXPECT_EQ(r.status, Status::Ok);
}

TEST(Isolate, AnErrorComesBackWithItsKindAndMessage) {
  const IsolatedResult r =
      run_isolated([] { XCT_THROW(ErrorKind::InputMissing, "no such file: a.h5"); }, 10);
  EXPECT_EQ(r.status, Status::Threw);
  EXPECT_EQ(r.kind, ErrorKind::InputMissing);
  EXPECT_EQ(r.message, "no such file: a.h5");
}

TEST(Isolate, ACrashIsContainedInTheChild) {
  const IsolatedResult r = run_isolated([] { ::raise(SIGSEGV); }, 10);
  EXPECT_EQ(r.status, Status::Crashed);
  EXPECT_EQ(r.signal, SIGSEGV);
}

TEST(Isolate, AHangIsCutOffAtTheTimeout) {
  const auto t0 = std::chrono::steady_clock::now();
  const IsolatedResult r = run_isolated([] { ::sleep(30); }, 0.2);
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.status, Status::TimedOut);
  // Killed after the 0.2 s timeout, far sooner than the 30 s the child would sleep.
  EXPECT_LT(waited, 5.0);
}

}  // namespace
}  // namespace xct
