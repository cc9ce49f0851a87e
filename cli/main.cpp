#include <cstdio>

#include "core/version.hpp"

int main() {
  std::printf("xct %s\n", xct::kVersion);
  return 0;
}
