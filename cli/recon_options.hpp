// The flags of `xct recon` (tomopy-cli / tomocupy vocabulary where it exists) and their
// translation into the pipeline's parameters. A config's tables take the same long names:
// [preprocess] the preprocessing flags, [recon] the reconstruction and centre flags, [output]
// the output flags.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "cli/input_options.hpp"
#include "cli/prep_options.hpp"
#include "io/volume_output.hpp"
#include "recon/pipeline.hpp"

namespace CLI {
class App;
}

namespace xct::cli {

inline const char* const kReconGroup = "Reconstruction";
inline const char* const kCentreGroup = "Centre of rotation";
inline const char* const kOutputGroup = "Output";
inline const char* const kPrepGroup = "Preprocessing";

struct ReconCmdOptions {
  InputOptions input;
  PrepOptions prep;
  // Preprocessing aliases from tomocupy.
  std::optional<std::size_t> dezinger;
  std::string remove_stripe_method;
  // Centre.
  std::optional<double> rotation_axis;
  bool rotation_axis_auto = false;
  std::string rotation_axis_method = "vo";
  std::string rotation_axis_rows;  // "R1,R2,..."
  bool rotation_axis_fit = false;
  std::size_t rotation_axis_band = 16;
  // Reconstruction.
  std::optional<std::size_t> start_row, end_row;
  std::size_t nsino_per_chunk = 0;
  std::string fbp_filter = "hann";
  std::string device = "auto";
  std::string fbp_padding = "edge";
  int butterworth_order = 2;
  double butterworth_cutoff = 0.5;
  std::optional<double> mask_ratio;
  int binning = 0;
  std::string max_memory;
  std::string gpus = "all";
  std::string max_gpu_memory;
  std::string reslice = "auto";
  // Output.
  std::string out;
  std::string save_format = "tiff";
  std::string dtype = "float32";
  std::string uint16_range;
  bool overwrite = false;
};

void add_recon_options(CLI::App& cmd, ReconCmdOptions& o);

// The pipeline parameters; the centre is left unset when it is to be measured or read from
// the record (the caller decides). Usage errors for malformed values.
recon::ReconParams resolve_recon(const ReconCmdOptions& o);

// Folder, format and type of the output volume (its metadata is filled in by the caller).
VolumeOutputParams resolve_output(const ReconCmdOptions& o);

}  // namespace xct::cli
