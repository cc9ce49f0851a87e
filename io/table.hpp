// Small tables (metrics, per-step results) written as CSV and JSON, both atomically.
#pragma once

#include <filesystem>
#include <string>
#include <variant>
#include <vector>

namespace xct {

class Table {
 public:
  using Cell = std::variant<double, long long, std::string>;

  explicit Table(std::vector<std::string> columns);

  // Appends a row; it must have one cell per column.
  void add_row(std::vector<Cell> row);

  const std::vector<std::string>& columns() const { return columns_; }
  const std::vector<std::vector<Cell>>& rows() const { return rows_; }

  // RFC 4180 CSV: a header line, then one line per row; fields with commas, quotes or line
  // breaks are quoted. Doubles are written with 17 significant digits so they read back exactly;
  // non-finite doubles are written as nan, inf, -inf.
  std::string to_csv() const;
  // A JSON array of objects keyed by column name; non-finite doubles become null.
  std::string to_json() const;

  void write_csv(const std::filesystem::path& file) const;
  void write_json(const std::filesystem::path& file) const;

 private:
  std::vector<std::string> columns_;
  std::vector<std::vector<Cell>> rows_;
};

}  // namespace xct
