#include "common/table.h"

#include <algorithm>
#include <utility>

namespace relayguard {

Table::Table(std::vector<TableColumn> columns, std::string indent)
    : columns_(std::move(columns)), indent_(std::move(indent)) {}

Table& Table::AddRow(std::vector<std::string> cells) {
  cells.resize(columns_.size());
  rows_.push_back(std::move(cells));
  return *this;
}

std::string Table::Render() const {
  std::vector<std::vector<std::string>> lines;
  const bool header = std::any_of(columns_.begin(), columns_.end(),
                                  [](const TableColumn& c) { return !c.header.empty(); });
  if (header) {
    std::vector<std::string>& h = lines.emplace_back();
    for (const TableColumn& c : columns_) h.push_back(c.header);
  }
  lines.insert(lines.end(), rows_.begin(), rows_.end());
  std::vector<size_t> widths;
  for (const TableColumn& c : columns_) widths.push_back(c.min_width);
  for (const std::vector<std::string>& line : lines) {
    for (size_t i = 0; i < line.size(); ++i) widths[i] = std::max(widths[i], line[i].size());
  }
  std::string out;
  for (const std::vector<std::string>& line : lines) {
    std::string text = indent_;
    for (size_t i = 0; i < line.size(); ++i) {
      text += line[i];
      if (i + 1 < line.size()) text.append(widths[i] - line[i].size() + 1, ' ');
    }
    text.erase(text.find_last_not_of(' ') + 1);
    out += text + "\n";
  }
  return out;
}

}  // namespace relayguard
