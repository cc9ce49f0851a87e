// Raw scans in HDF5: APS Data Exchange, NeXus (NXtomo and Diamond-style frame stacks with an
// image_key) and a beamline's own layout described role by role in a LayoutSpec.
#pragma once

#include <filesystem>
#include <memory>

#include "core/logger.hpp"
#include "io/layout.hpp"
#include "io/scan.hpp"

namespace xct {

// True when the file exists and carries the HDF5 signature.
bool is_hdf5_file(const std::filesystem::path& file);

// DataExchange when /exchange/data exists, Nexus when a frame stack with an image_key is found;
// throws ErrorKind::BadData when neither is recognised.
LayoutSpec::Kind detect_hdf5_layout(const std::filesystem::path& file);

std::unique_ptr<ScanReader> open_data_exchange(const std::filesystem::path& file,
                                               const LayoutSpec& spec, Logger& log);
std::unique_ptr<ScanReader> open_nexus(const std::filesystem::path& file, const LayoutSpec& spec,
                                       Logger& log);
std::unique_ptr<ScanReader> open_hdf5_custom(const std::filesystem::path& file,
                                             const LayoutSpec& spec, Logger& log);

}  // namespace xct
