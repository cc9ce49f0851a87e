// What identifies an input between runs without reading it whole: its size, modification time
// and a checksum of its first and last 64 KiB (where HDF5 keeps its superblock and most of its
// metadata); for a folder, the same over every file in it. `xct batch` skips a scan whose
// fingerprint is unchanged; `xct recon` resumes an interrupted run only from the same input.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/fnv.hpp"

namespace xct::cli {

// {"size": bytes, "mtime_ns": the newest modification, "checksum": hex}.
nlohmann::ordered_json fingerprint(const std::filesystem::path& input);

}  // namespace xct::cli
