// truth.json: what a simulation was asked for, what it injected, and per time step the pose
// and the measured truth (see docs/simulator.md for the keys).
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "simulate/cell.hpp"
#include "simulate/detector.hpp"
#include "simulate/truth.hpp"

namespace xct::sim {

struct SimulationParams;

struct StepRecord {
  std::size_t index = 0;
  double progress = 0;
  std::string scan_file, truth_file;  // names within the output folder
  const Pose* pose = nullptr;
  const CellLayout* layout = nullptr;
  const StepMetrics* metrics = nullptr;
  const ExposureStats* stats = nullptr;
  std::optional<std::size_t> preview_row;
};

class TruthRecord {
 public:
  TruthRecord(const SimulationParams& params, const DetectorModel& detector);
  ~TruthRecord();
  TruthRecord(const TruthRecord&) = delete;
  TruthRecord& operator=(const TruthRecord&) = delete;

  void add_step(const StepRecord& step);
  // Written atomically.
  void write(const std::filesystem::path& file) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xct::sim
