#include "cli/recon_options.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <string_view>

#include "cli/sizes.hpp"
#include "core/error.hpp"

namespace xct::cli {

namespace {

void add_centre_options(CLI::App& cmd, ReconCmdOptions& o) {
  const std::string g = kCentreGroup;
  cmd.add_option("--rotation-axis", o.rotation_axis,
                 "centre of rotation, unbinned detector columns from the centre of column 0 "
                 "(default: the centre recorded by 'xct center', else measured)")
      ->group(g);
  cmd.add_flag("--rotation-axis-auto", o.rotation_axis_auto,
               "measure the centre even when one is recorded")
      ->group(g);
  cmd.add_option("--rotation-axis-method", o.rotation_axis_method,
                 "vo (Vo's Fourier metric) or pc (correlation of projections 180 degrees apart)")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--rotation-axis-rows", o.rotation_axis_rows,
                 "detector rows to measure on, R1,R2,... (default: the middle of the range)")
      ->group(g);
  cmd.add_flag("--rotation-axis-fit", o.rotation_axis_fit,
               "fit a straight line through the centres of the rows, for an axis that tilts "
               "along z (else their mean is used)")
      ->group(g);
  cmd.add_option("--rotation-axis-band", o.rotation_axis_band,
                 "rows averaged around each measured row")
      ->capture_default_str()
      ->group(g);
}

void add_reconstruction_options(CLI::App& cmd, ReconCmdOptions& o) {
  const std::string g = kReconGroup;
  cmd.add_option("--start-row", o.start_row, "first detector row (default 0)")->group(g);
  cmd.add_option("--end-row", o.end_row, "detector row after the last (default: all rows)")
      ->group(g);
  cmd.add_option("--nsino-per-chunk", o.nsino_per_chunk,
                 "slices per slab; 0: as many as --max-memory allows (at most 64)")
      ->capture_default_str()
      ->group(g);
  std::string names;
  for (const auto& n : recon::fbp_filter_names())
    names += (names.empty() ? "" : ", ") + n;
  cmd.add_option("--fbp-filter", o.fbp_filter, "window over the ramp filter: " + names)
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--fbp-padding", o.fbp_padding,
                 "row padding before filtering: edge (repeat the end values) or zero")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--butterworth-order", o.butterworth_order, "order of the butterworth filter")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--butterworth-cutoff", o.butterworth_cutoff,
                 "cut-off of the butterworth filter, fraction of the Nyquist frequency")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--mask-ratio", o.mask_ratio,
                 "zero the slice outside a circle of this fraction of its width (default: no "
                 "mask)")
      ->group(g);
  cmd.add_option("--device", o.device,
                 "where filter and back-projection run: auto (CUDA when a GPU is visible), "
                 "cpu, or cuda (exit 69 without a usable GPU)")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--binning", o.binning,
                 "0: none, 1: 2 x 2, 2: 4 x 4 (rows and columns averaged after flat-fielding)")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--max-memory", o.max_memory,
                 "host memory for the whole run, e.g. 16G (default: 80 % of the memory "
                 "available)")
      ->group(g);
  cmd.add_option("--gpus", o.gpus,
                 "CUDA devices to use, one worker each: all, or indices I1,I2,... (as "
                 "CUDA_VISIBLE_DEVICES leaves them; an index may repeat)")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--max-gpu-memory", o.max_gpu_memory,
                 "GPU memory per worker, e.g. 8G (default: 90 % of the free memory); slabs "
                 "shrink to fit")
      ->group(g);
  cmd.add_option("--reslice", o.reslice,
                 "auto, on or off: copy compressed projections once into a scratch file in "
                 "sinogram order, so that each chunk is decoded once rather than once per slab "
                 "(auto: when chunks are compressed, taller than a slab, and there are several "
                 "slabs)")
      ->capture_default_str()
      ->group(g);
}

void add_output_options(CLI::App& cmd, ReconCmdOptions& o) {
  const std::string g = kOutputGroup;
  cmd.add_option("-o,--out", o.out, "output folder (default: INPUT_rec beside the input)")
      ->group(g);
  cmd.add_option("--save-format", o.save_format,
                 "tiff (recon_NNNNN.tiff, one file per slice) or h5 (recon.h5, /exchange/data)")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--dtype", o.dtype,
                 "float32, or uint16 scaled from the whole volume's range (or --uint16-range)")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--uint16-range", o.uint16_range,
                 "values LO,HI mapped to 0 and 65535, clipping outside (default: the volume's "
                 "minimum and maximum)")
      ->group(g);
  cmd.add_flag("--overwrite", o.overwrite, "replace a finished reconstruction in the folder")
      ->group(g);
}

// tomocupy's names for the ring methods, besides ours and Algotom's.
std::string ring_method_alias(const std::string& name) {
  if (name == "vo-all") return "all";
  if (name == "fw") return "wavelet-fft";
  return name;
}

std::vector<std::size_t> parse_rows(const std::string& text) {
  std::vector<std::size_t> rows;
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    std::size_t used = 0;
    long long v = -1;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    XCT_CHECK(used == item.size() && v >= 0, ErrorKind::Usage, "--rotation-axis-rows '", text,
              "' is not a list of rows R1,R2,...");
    rows.push_back(static_cast<std::size_t>(v));
  }
  return rows;
}

}  // namespace

void add_recon_options(CLI::App& cmd, ReconCmdOptions& o) {
  add_prep_options(cmd, o.prep);
  cmd.add_option("--dezinger", o.dezinger,
                 "zinger neighbour distance in pixels; 0 turns zinger removal off (tomocupy's "
                 "name; same as --zinger-size / --no-zingers)")
      ->group(kPrepGroup);
  cmd.add_option("--remove-stripe-method", o.remove_stripe_method,
                 "ring removal method, as --rings (also tomocupy's vo-all and fw)")
      ->group(kPrepGroup);
  add_centre_options(cmd, o);
  add_reconstruction_options(cmd, o);
  add_output_options(cmd, o);
}

recon::ReconParams resolve_recon(const ReconCmdOptions& o) {
  PrepOptions prep = o.prep;
  if (!o.remove_stripe_method.empty()) prep.rings = ring_method_alias(o.remove_stripe_method);
  prep.rings = ring_method_alias(prep.rings);
  if (o.dezinger) {
    if (*o.dezinger == 0)
      prep.no_zingers = true;
    else
      prep.zinger_size = *o.dezinger;
  }
  recon::ReconParams p;
  p.prep = resolve_prep(prep);
  XCT_CHECK(o.binning >= 0 && o.binning <= 2, ErrorKind::Usage, "--binning ", o.binning,
            " is not 0, 1 or 2");
  p.binning = std::size_t{1} << o.binning;
  if (o.start_row || o.end_row) {
    const std::size_t begin = o.start_row.value_or(0);
    const std::size_t end = o.end_row.value_or(static_cast<std::size_t>(-1));
    XCT_CHECK(end > begin, ErrorKind::Usage, "--end-row ", end, " must lie after --start-row ",
              begin);
    p.rows = Range{begin, end};
  }
  p.rows_per_chunk = o.nsino_per_chunk;

  p.reslice = o.reslice;
  if (!o.max_memory.empty()) p.max_memory_bytes = parse_size(o.max_memory, "--max-memory");
  const auto devices = recon::device_names();
  XCT_CHECK(std::find(devices.begin(), devices.end(), o.device) != devices.end(), ErrorKind::Usage,
            "--device '", o.device, "' is not auto, cpu or cuda");
  p.device = o.device;
  if (!o.max_gpu_memory.empty())
    p.max_gpu_memory_bytes = parse_size(o.max_gpu_memory, "--max-gpu-memory");
  if (o.gpus != "all") {
    std::string_view rest = o.gpus;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      const std::string item(rest.substr(0, comma));
      char* end = nullptr;
      const long v = std::strtol(item.c_str(), &end, 10);
      XCT_CHECK(!item.empty() && end && *end == '\0' && v >= 0 && v < 1024, ErrorKind::Usage,
                "--gpus '", o.gpus, "' is not all or a list of device indices I1,I2,...");
      p.gpus.push_back(static_cast<int>(v));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
    XCT_CHECK(!p.gpus.empty(), ErrorKind::Usage, "--gpus names no device");
  }
  p.fbp.filter = o.fbp_filter;
  p.fbp.padding = o.fbp_padding;
  p.fbp.butterworth_order = o.butterworth_order;
  p.fbp.butterworth_cutoff = o.butterworth_cutoff;
  if (o.mask_ratio) {
    XCT_CHECK(*o.mask_ratio > 0, ErrorKind::Usage, "--mask-ratio must be positive");
    p.fbp.mask_ratio = *o.mask_ratio;
  }
  recon::fbp_filter_window(64, p.fbp);  // usage errors for a bad filter or padding now,
  recon::fbp_padding(64, p.fbp);        // not after the centre has been measured
  // The centre is measured as `xct center` measures it: sorting-based rings, which bias
  // nothing towards either half of the alignment.
  recon::CentreOptions& c = p.centre;
  c.value = o.rotation_axis;
  c.rows = parse_rows(o.rotation_axis_rows);
  c.fit_along_z = o.rotation_axis_fit;
  c.measure.method = o.rotation_axis_method;
  c.measure.band = o.rotation_axis_band;
  XCT_CHECK(c.measure.method == "vo" || c.measure.method == "pc", ErrorKind::Usage,
            "--rotation-axis-method '", c.measure.method, "' is not vo or pc");
  XCT_CHECK(c.measure.band >= 1, ErrorKind::Usage, "--rotation-axis-band must be at least 1");
  XCT_CHECK(!c.fit_along_z || c.rows.size() >= 2, ErrorKind::Usage,
            "--rotation-axis-fit needs two or more --rotation-axis-rows");
  PrepOptions centre_prep = prep;
  centre_prep.rings = "sort";
  c.prep = resolve_prep(centre_prep);
  return p;
}

VolumeOutputParams resolve_output(const ReconCmdOptions& o) {
  VolumeOutputParams v;
  v.folder = o.out.empty() ? default_output_dir(o.input.input) : std::filesystem::path(o.out);
  XCT_CHECK(o.save_format == "tiff" || o.save_format == "h5", ErrorKind::Usage, "--save-format '",
            o.save_format, "' is not tiff or h5");
  v.format = o.save_format;
  XCT_CHECK(o.dtype == "float32" || o.dtype == "uint16", ErrorKind::Usage, "--dtype '", o.dtype,
            "' is not float32 or uint16");
  v.dtype = o.dtype == "uint16" ? DType::UInt16 : DType::Float32;
  if (!o.uint16_range.empty()) {
    std::istringstream in(o.uint16_range);
    double lo = 0, hi = 0;
    char comma = 0;
    XCT_CHECK((in >> lo >> comma >> hi) && comma == ',' && in.peek() == EOF && hi > lo,
              ErrorKind::Usage, "--uint16-range '", o.uint16_range, "' is not LO,HI with LO < HI");
    v.uint16_range = std::pair{lo, hi};
  }
  v.overwrite = o.overwrite;
  return v;
}

}  // namespace xct::cli
