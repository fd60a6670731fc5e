// Column output for people (relayguardctl's and the agent's tables): each column is as wide as
// its widest cell, at least its minimum (so the usual layout stays put), and a long value widens
// its column instead of pushing the rest of its row out of line.
#ifndef RELAYGUARD_COMMON_TABLE_H_
#define RELAYGUARD_COMMON_TABLE_H_

#include <cstddef>
#include <string>
#include <vector>

namespace relayguard {

struct TableColumn {
  std::string header;    // empty in every column: no header line
  size_t min_width = 0;  // the column's width when every cell is narrower
};

class Table {
 public:
  // `indent` starts every line (e.g. "  " for rows under a heading).
  explicit Table(std::vector<TableColumn> columns, std::string indent = "");

  // One row; missing cells are empty, extra cells are an error of the caller (dropped).
  Table& AddRow(std::vector<std::string> cells);

  // The header (unless every header is empty) and the rows, one space between columns, no
  // trailing spaces, each line ending in "\n".
  std::string Render() const;

 private:
  std::vector<TableColumn> columns_;
  std::string indent_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_TABLE_H_
