// Finding the pieces of a NeXus scan: an NXentry whose definition is NXtomo and its standard
// paths, or, for files without one (Diamond's /entry/imaging/data style), a walk of the file
// for the largest 3-D numeric dataset with an image_key and rotation angles of the same
// length. The walk lists external links without following them into other files, except to
// read the shape of a dataset one points to; dangling links are noted, never fatal here.
#include <algorithm>
#include <cctype>

#include "io/hdf5.hpp"
#include "io/hdf5_reader.hpp"
#include "io/hdf5_scan.hpp"

namespace xct {

using namespace hdf5_detail;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool is_numeric(const h5::DatasetInfo& d) {
  return d.type_class == h5::TypeClass::Integer || d.type_class == h5::TypeClass::Float;
}

// What a walk of the file finds: groups, datasets with their shapes, and dangling links.
struct Survey {
  std::vector<std::string> groups;
  std::vector<std::pair<std::string, h5::DatasetInfo>> datasets;
  std::vector<std::string> dangling;
};

Survey survey(const h5::File& file, Logger& log) {
  Survey s;
  for (const auto& link : h5::list_links(file)) {
    const auto kind = h5::object_kind(file, link.path);
    if (!kind) {
      s.dangling.push_back(link.path);
    } else if (*kind == h5::ObjectKind::Group) {
      s.groups.push_back(link.path);
    } else if (*kind == h5::ObjectKind::Dataset) {
      try {
        s.datasets.emplace_back(link.path, h5::dataset_info(h5::open_dataset(file, link.path)));
      } catch (const Error& e) {
        log.debug("skipped ", link.path, " while looking for the frame stack: ", e.what());
      }
    }
  }
  return s;
}

bool is_nxtomo_entry(const h5::File& file, const std::string& path) {
  const h5::Group g = h5::open_group(file, path);
  const auto cls = h5::read_string_attribute(g.id(), "NX_class");
  if (!cls || (*cls != "NXentry" && *cls != "NXsubentry")) return false;
  const std::string def = h5::join_path(path, "definition");
  if (h5::object_kind(file, def) != h5::ObjectKind::Dataset) return false;
  const h5::Dataset d = h5::open_dataset(file, def);
  return h5::dataset_info(d).type_class == h5::TypeClass::String &&
         lower(h5::read_string(d)) == "nxtomo";
}

std::string first_link(const h5::File& file, const std::string& entry,
                       std::initializer_list<const char*> relative) {
  for (const char* r : relative) {
    const std::string p = h5::join_path(entry, r);
    if (h5::link_exists(file, p)) return p;
  }
  return {};
}

// Rank of a name as an image key (lower is better); -1 when it is not one.
int key_rank(const std::string& path) {
  const std::string n = lower(h5::base_name(path));
  return n == "image_key" ? 0 : n == "image_key_control" ? 1 : -1;
}

int angle_rank(const std::string& path) {
  const std::string n = lower(h5::base_name(path));
  if (n.find("rotation_angle") != std::string::npos) return 0;
  if (n.find("theta") != std::string::npos) return 1;
  return n.find("angle") != std::string::npos ? 2 : -1;
}

// The best-ranked 1-D numeric dataset of `length` elements (any length when unknown), else a
// dangling link with a matching name (so that the caller can say it is missing).
std::string pick_vector(const Survey& s, std::optional<std::size_t> length,
                        int (*rank)(const std::string&)) {
  std::string best;
  int best_rank = 99;
  for (const auto& [path, d] : s.datasets) {
    const int r = rank(path);
    const bool fits = d.rank() == 1 && (!length || d.shape[0] == *length);
    if (r >= 0 && r < best_rank && is_numeric(d) && fits) {
      best = path;
      best_rank = r;
    }
  }
  for (const auto& path : s.dangling) {
    if (best.empty() && rank(path) >= 0) return path;
  }
  return best;
}

// Frame counts of the datasets named as image keys: a stack with a key of its length is the
// scan, even where a larger 3-D dataset without one sits beside it.
std::vector<std::size_t> key_lengths(const Survey& s) {
  std::vector<std::size_t> out;
  for (const auto& [path, d] : s.datasets) {
    if (key_rank(path) >= 0 && is_numeric(d) && d.rank() == 1) out.push_back(d.shape[0]);
  }
  return out;
}

// The largest 3-D numeric dataset with a matching image_key, else the largest 3-D one.
void walk_for_stack(const Survey& s, NexusPaths& out) {
  const std::vector<std::size_t> keys = key_lengths(s);
  const auto has_key = [&](std::size_t n) {
    return std::find(keys.begin(), keys.end(), n) != keys.end();
  };
  std::optional<std::size_t> n_frames;
  std::pair<bool, std::size_t> best{false, 0};  // (has a key, elements)
  for (const auto& [path, d] : s.datasets) {
    if (d.rank() != 3 || !is_numeric(d)) continue;
    const std::pair<bool, std::size_t> score{has_key(d.shape[0]), d.n_elements()};
    if (out.data.empty() || score > best) {
      best = score;
      out.data = path;
      n_frames = d.shape[0];
    }
  }
  // Keys but no stack of their length (or no stack at all) with dangling links about: the
  // stack is behind one of them; the caller lists them rather than reading a stray dataset.
  const bool unkeyed = out.data.empty() || (!keys.empty() && !best.first);
  if (unkeyed && !s.dangling.empty()) {
    out.data.clear();
    n_frames.reset();
  }
  out.image_key = pick_vector(s, n_frames, key_rank);
  out.angles = pick_vector(s, n_frames, angle_rank);
  if (!out.data.empty()) out.entry = top_group(out.data);
}

}  // namespace

NexusPaths hdf5_detail::discover_nexus(const h5::File& file, Logger& log) {
  const Survey s = survey(file, log);
  NexusPaths out;
  out.dangling = s.dangling;
  for (const auto& group : s.groups) {
    if (!is_nxtomo_entry(file, group)) continue;
    out.entry = group;
    out.data = first_link(file, group, {"instrument/detector/data", "data/data"});
    out.image_key = first_link(file, group,
                               {"instrument/detector/image_key",
                                "instrument/detector/image_key_control", "data/image_key"});
    out.angles = first_link(file, group, {"sample/rotation_angle", "data/rotation_angle"});
    if (!out.data.empty()) {
      log.debug("NXtomo entry ", group, ": data ", out.data, ", image_key ", out.image_key,
                ", angles ", out.angles);
      return out;
    }
  }
  out.entry.clear();
  walk_for_stack(s, out);
  log.debug("frame stack found by walking the file: data ", out.data, ", image_key ", out.image_key,
            ", angles ", out.angles);
  return out;
}

}  // namespace xct
