#include "core/error.hpp"

#include <gtest/gtest.h>

TEST(Error, KindsMapToDocumentedExitCodes) {
  EXPECT_EQ(xct::exit_code(xct::ErrorKind::Usage), 2);
}
