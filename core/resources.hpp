// What the process has used, as Linux reports it in /proc: resident memory (now and at its
// peak) and bytes passed through read and write calls. `xct recon` sizes its slabs from the
// memory it already holds and writes these figures into report.json.
#pragma once

#include <cstdint>
#include <optional>

namespace xct {

struct IoCounters {
  std::uint64_t read_bytes = 0;   // rchar: bytes returned by read-like calls (cache hits too)
  std::uint64_t write_bytes = 0;  // wchar: bytes handed to write-like calls
};

// Counters of this process; zeros where /proc/self/io cannot be read.
IoCounters process_io();

// Resident set size now (VmRSS) and its peak so far (VmHWM), in bytes; 0 when unknown.
std::uint64_t current_rss_bytes();
std::uint64_t peak_rss_bytes();

// Memory the system could give without swapping (MemAvailable), in bytes.
std::optional<std::uint64_t> available_memory_bytes();

}  // namespace xct
