#include "io/table.hpp"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "io/atomic_file.hpp"

namespace xct {

namespace {

std::string format_double(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string csv_field(const Table::Cell& cell) {
  if (const auto* d = std::get_if<double>(&cell)) return format_double(*d);
  if (const auto* i = std::get_if<long long>(&cell)) return std::to_string(*i);
  const std::string& s = std::get<std::string>(cell);
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace

Table::Table(std::vector<std::string> columns) : columns_(std::move(columns)) {
  XCT_CHECK(!columns_.empty(), ErrorKind::Internal, "a table needs at least one column");
}

void Table::add_row(std::vector<Cell> row) {
  XCT_CHECK(row.size() == columns_.size(), ErrorKind::Internal, "table row has ", row.size(),
            " cells for ", columns_.size(), " columns");
  rows_.push_back(std::move(row));
}

std::string Table::to_csv() const {
  std::string out;
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    if (c) out += ',';
    out += csv_field(columns_[c]);
  }
  out += '\n';
  for (const auto& row : rows_) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c) out += ',';
      out += csv_field(row[c]);
    }
    out += '\n';
  }
  return out;
}

std::string Table::to_json() const {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const auto& row : rows_) {
    nlohmann::ordered_json obj = nlohmann::ordered_json::object();
    for (std::size_t c = 0; c < row.size(); ++c) {
      const Cell& cell = row[c];
      if (const auto* d = std::get_if<double>(&cell)) {
        obj[columns_[c]] = std::isfinite(*d) ? nlohmann::ordered_json(*d) : nullptr;
      } else if (const auto* i = std::get_if<long long>(&cell)) {
        obj[columns_[c]] = *i;
      } else {
        obj[columns_[c]] = std::get<std::string>(cell);
      }
    }
    arr.push_back(std::move(obj));
  }
  return arr.dump(2) + "\n";
}

void Table::write_csv(const std::filesystem::path& file) const {
  write_file_atomic(file, to_csv());
}

void Table::write_json(const std::filesystem::path& file) const {
  write_file_atomic(file, to_json());
}

}  // namespace xct
