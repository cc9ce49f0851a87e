// The data-reading steps of check_scan(), apart from the structural checks in check.cpp.
#pragma once

#include "io/check.hpp"

namespace xct::detail_check {

void check_flats_and_darks(ScanReader& reader, const CheckOptions& opt, CheckReport& report,
                           Logger& log);
void check_projections(ScanReader& reader, const CheckOptions& opt, CheckReport& report,
                       Logger& log);

}  // namespace xct::detail_check
