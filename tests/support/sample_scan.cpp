#include "tests/support/sample_scan.hpp"
