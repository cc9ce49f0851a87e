// Pieces shared by the HDF5 scan readers (Data Exchange, NeXus, custom): the reader itself,
// which maps role frames onto datasets, opening roles with the layout's rules for missing and
// dangling datasets, angles from a LayoutSpec, and metadata with units. Internal to io/.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/hdf5.hpp"
#include "io/hdf5_direct.hpp"
#include "io/layout.hpp"
#include "io/scan.hpp"

namespace xct::hdf5_detail {

// The files of one scan, each opened once (read-only) and shared by the roles that use it.
class FileSet {
 public:
  // `input` is the scan's main file; relative role files are resolved against its folder.
  explicit FileSet(const std::filesystem::path& input);
  const std::shared_ptr<h5::File>& main() const { return main_; }
  // Opens `name` (relative names resolved against the input's folder); `what` names the file
  // in the InputMissing error ("flats file").
  std::shared_ptr<h5::File> open(const std::string& name, const std::string& what);
  const std::filesystem::path& base_dir() const { return base_dir_; }

 private:
  std::shared_ptr<h5::File> add(const std::filesystem::path& path, const std::string& what);
  std::filesystem::path base_dir_;
  std::shared_ptr<h5::File> main_;
  std::map<std::string, std::shared_ptr<h5::File>> files_;
};

// Where one role's frames are read from: a dataset and, when the role is a subset of a
// stack (NeXus image_key), the stack frame of each role frame.
struct RoleSource {
  std::shared_ptr<h5::File> file;
  std::shared_ptr<h5::Dataset> dataset;   // null when the role is absent
  std::vector<std::size_t> stack_frames;  // empty: role frame i is stack frame i
  bool single_frame_2d = false;           // one frame stored as (rows, cols)
};

class Hdf5ScanReader final : public ScanReader {
 public:
  Hdf5ScanReader(ScanInfo info, RoleSource projections, RoleSource flats, RoleSource darks);
  const ScanInfo& info() const override { return info_; }
  // Reads what an uncompressed stack stores as the requested type straight from the file on
  // several threads (h5::DirectStack) and everything else through H5Dread.
  void read_frames(FrameRole role, Range frames, Range rows, DType out_type, void* out) override;

  // Switches the direct reads off (on by default): every read then goes through H5Dread.
  void set_direct_reads(bool enabled) { direct_enabled_ = enabled; }
  // How many read_frames calls of `role` the direct reads served.
  std::size_t direct_reads(FrameRole role) const;

 private:
  const RoleSource& source(FrameRole role) const;
  // The role's direct reader, made on first use; null when the role has no dataset.
  h5::DirectStack* direct(FrameRole role);
  ScanInfo info_;
  RoleSource projections_, flats_, darks_;
  std::unique_ptr<h5::DirectStack> direct_[3];  // projections, flats, darks
  bool direct_enabled_ = true;
};

// Describes `dataset` at `path` as a frame stack: rank 3 (or rank 2, one frame, when
// `allow_single_frame`), uint8/uint16/float32; BadData otherwise.
StackInfo describe_stack(const h5::File& file, const std::string& path, const h5::Dataset& dataset,
                         bool allow_single_frame);

enum class Need { Required, Optional };

// Opens the role `role_spec` names, or `default_path` in `main` when the spec is empty.
// Required: a missing dataset is BadData, one behind a dangling external link InputMissing.
// Optional: a default path that is absent leaves the role absent; a dangling link or a
// missing dataset the spec named explicitly is recorded in info.problems (explicit: BadData).
// Fills the role's StackInfo and returns its source.
RoleSource open_role(FileSet& files, const std::shared_ptr<h5::File>& main,
                     const RoleSpec& role_spec, const std::string& default_path, FrameRole role,
                     Need need, ScanInfo& info, Logger& log);

// Sets info's angles from spec.angles when it is not Auto (a dataset, a text file or a
// range); returns false for Auto.
bool angles_from_layout(const LayoutSpec& spec, FileSet& files,
                        const std::shared_ptr<h5::File>& main, ScanInfo& info);

// True when a `units` attribute says radians.
bool units_are_radians(hid_t object);

enum class Quantity { LengthUm, LengthMm, EnergyKeV };
// A scalar (or first element) at `path` converted to the quantity's unit using the dataset's
// `units` attribute; `default_factor` converts when there is none. nullopt when absent,
// non-numeric or in units not understood.
std::optional<double> read_quantity(const h5::File& file, const std::string& path, Quantity q,
                                    double default_factor = 1.0);
// The first of `paths` that reads.
std::optional<double> first_quantity(const h5::File& file, const std::vector<std::string>& paths,
                                     Quantity q, double default_factor = 1.0);

// Spec values (pixel size, energy, distance) replace what the file records.
void apply_overrides(const LayoutSpec& spec, ScanInfo& info);

// Where a NeXus scan's pieces are, as links (any may lie behind a dangling link). `data` is
// empty when no frame stack was found; `dangling` then lists the links that might hold it.
struct NexusPaths {
  std::string entry;  // the NXentry (or the first group of the data path)
  std::string data;
  std::string image_key;
  std::string angles;
  std::vector<std::string> dangling;  // links that do not resolve
};
// An NXentry with definition NXtomo and its standard paths, else a walk of the file for the
// largest 3-D numeric dataset and a matching image_key and rotation angle.
NexusPaths discover_nexus(const h5::File& file, Logger& log);

// The first group of a path: "/entry/a/b" -> "/entry"; "/data" -> "/".
std::string top_group(const std::string& path);

}  // namespace xct::hdf5_detail
