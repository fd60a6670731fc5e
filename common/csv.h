// CSV output (RFC 4180 quoting): a field with a comma, a double quote, CR or
// LF is quoted, its quotes doubled, its line breaks kept. Records end with "\n", as `scan --csv`.
#ifndef RELAYGUARD_COMMON_CSV_H_
#define RELAYGUARD_COMMON_CSV_H_

#include <string>
#include "absl/strings/string_view.h"
#include <vector>

namespace relayguard {

std::string CsvField(absl::string_view text);
// The fields quoted as needed, joined by commas, with the trailing "\n".
std::string CsvRecord(const std::vector<std::string>& fields);

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_CSV_H_
