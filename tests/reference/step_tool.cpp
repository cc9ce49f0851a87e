#include "tests/reference/step_tool.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <limits>
#include <regex>

#include "core/error.hpp"

namespace xct::step {

namespace {

// The .npy header: a Python dict literal with descr, fortran_order and shape.
struct NpyHeader {
  std::string descr;
  bool fortran = false;
  std::vector<std::size_t> shape;
};

NpyHeader parse_header(const std::string& text, const std::string& path) {
  NpyHeader h;
  std::smatch m;
  XCT_CHECK(std::regex_search(text, m, std::regex("'descr':\\s*'([^']+)'")), ErrorKind::BadData,
            path, ": .npy header has no descr");
  h.descr = m[1];
  h.fortran = text.find("'fortran_order': True") != std::string::npos;
  XCT_CHECK(std::regex_search(text, m, std::regex("'shape':\\s*\\(([^)]*)\\)")), ErrorKind::BadData,
            path, ": .npy header has no shape");
  const std::string dims = m[1];
  std::regex num("[0-9]+");
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), num); it != std::sregex_iterator();
       ++it)
    h.shape.push_back(std::stoul(it->str()));
  return h;
}

template <typename T>
void convert(std::ifstream& in, std::vector<float>& out) {
  std::vector<T> raw(out.size());
  in.read(reinterpret_cast<char*>(raw.data()),
          static_cast<std::streamsize>(raw.size() * sizeof(T)));
  std::transform(raw.begin(), raw.end(), out.begin(), [](T v) { return static_cast<float>(v); });
}

}  // namespace

Array read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  XCT_CHECK(in, ErrorKind::InputMissing, "cannot open ", path);
  char magic[8];
  in.read(magic, 8);
  XCT_CHECK(in && std::memcmp(magic, "\x93NUMPY", 6) == 0, ErrorKind::BadData, path,
            ": not a .npy file");
  std::uint32_t header_len = 0;
  if (magic[6] == 1) {
    std::uint16_t n16 = 0;
    in.read(reinterpret_cast<char*>(&n16), 2);
    header_len = n16;
  } else {
    in.read(reinterpret_cast<char*>(&header_len), 4);
  }
  std::string text(header_len, '\0');
  in.read(text.data(), header_len);
  const NpyHeader h = parse_header(text, path);
  XCT_CHECK(!h.fortran, ErrorKind::BadData, path, ": Fortran-order arrays are not supported");
  Array a;
  a.shape = h.shape;
  std::size_t n = 1;
  for (auto d : h.shape)
    n *= d;
  a.data.resize(n);
  if (h.descr == "<f4")
    in.read(reinterpret_cast<char*>(a.data.data()), static_cast<std::streamsize>(n * 4));
  else if (h.descr == "<f8")
    convert<double>(in, a.data);
  else if (h.descr == "<u2")
    convert<std::uint16_t>(in, a.data);
  else
    XCT_THROW(ErrorKind::BadData, path, ": dtype ", h.descr, " is not float32/float64/uint16");
  XCT_CHECK(in, ErrorKind::BadData, path, ": file shorter than its header says");
  return a;
}

void write_npy(const std::string& path, const Array& a) {
  std::string shape;
  for (auto d : a.shape)
    shape += std::to_string(d) + ", ";
  if (!shape.empty()) shape.pop_back();  // "(3, 4,)" and "(3,)": Python tuple literals
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + shape + "), }";
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  XCT_CHECK(out, ErrorKind::OutputIO, "cannot write ", path);
  const std::uint16_t len = static_cast<std::uint16_t>(header.size());
  out.write("\x93NUMPY\x01\x00", 8);
  out.write(reinterpret_cast<const char*>(&len), 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(reinterpret_cast<const char*>(a.data.data()),
            static_cast<std::streamsize>(a.data.size() * sizeof(float)));
  XCT_CHECK(out, ErrorKind::OutputIO, "write to ", path, " failed");
}

HostView<const float, 2> image(const Array& a) {
  XCT_CHECK(a.shape.size() == 2, ErrorKind::Usage, "expected a 2-D array");
  return HostView<const float, 2>(a.data.data(), {a.dim(0), a.dim(1)});
}

double Params::num(const std::string& key) const {
  auto it = kv_.find(key);
  XCT_CHECK(it != kv_.end(), ErrorKind::Usage, "missing parameter ", key);
  return std::stod(it->second);
}
double Params::num(const std::string& key, double fallback) const {
  return has(key) ? num(key) : fallback;
}
long Params::integer(const std::string& key, long fallback) const {
  return has(key) ? std::stol(kv_.at(key)) : fallback;
}
bool Params::flag(const std::string& key, bool fallback) const {
  if (!has(key)) return fallback;
  const std::string& v = kv_.at(key);
  return v == "1" || v == "true" || v == "True";
}
std::string Params::str(const std::string& key, const std::string& fallback) const {
  return has(key) ? kv_.at(key) : fallback;
}

}  // namespace xct::step

int main(int argc, char** argv) {
  using namespace xct::step;
  if (argc < 3) {
    std::cerr << "usage: xct_step STEP OUT_PREFIX [IN.npy ...] [key=value ...]\n";
    return 2;
  }
  try {
    Registry registry;
    add_preprocess_steps(registry);
    add_stripe_steps(registry);
    add_center_steps(registry);
    const std::string name = argv[1], prefix = argv[2];
    auto it = registry.find(name);
    XCT_CHECK(it != registry.end(), xct::ErrorKind::Usage, "unknown step ", name);
    std::vector<Array> inputs;
    std::map<std::string, std::string> kv;
    for (int i = 3; i < argc; ++i) {
      const std::string arg = argv[i];
      const auto eq = arg.find('=');
      if (eq != std::string::npos)
        kv[arg.substr(0, eq)] = arg.substr(eq + 1);
      else
        inputs.push_back(read_npy(arg));
    }
    const Params params(kv);
    const long repeat = std::max(1L, params.integer("repeat", 1));
    std::vector<Array> outputs;
    nlohmann::json info;
    double best = std::numeric_limits<double>::infinity();
    for (long r = 0; r < repeat; ++r) {
      outputs.clear();
      info = nlohmann::json::object();
      const auto t0 = std::chrono::steady_clock::now();
      it->second(inputs, params, outputs, info);
      const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
      best = std::min(best, dt.count());
    }
    info["seconds"] = best;
    info["outputs"] = outputs.size();
    for (std::size_t i = 0; i < outputs.size(); ++i)
      write_npy(prefix + "_" + std::to_string(i) + ".npy", outputs[i]);
    std::ofstream(prefix + ".json") << info.dump(2) << "\n";
    return 0;
  } catch (const xct::Error& e) {
    std::cerr << "xct_step: " << e.what() << "\n";
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "xct_step: " << e.what() << "\n";
    return 70;
  }
}
