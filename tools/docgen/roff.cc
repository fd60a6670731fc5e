#include "tools/docgen/roff.h"

#include <cstdio>

namespace relayguard::docgen {
namespace {

// The code point of the UTF-8 sequence at `text[i]`, and its length; U+FFFD when malformed.
char32_t DecodeUtf8(std::string_view text, size_t i, size_t& length) {
  const unsigned char c = static_cast<unsigned char>(text[i]);
  length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  if (length == 1 || i + length > text.size()) {
    length = 1;
    return 0xFFFD;
  }
  char32_t cp = c & (0x3F >> (length - 1));
  for (size_t k = 1; k < length; ++k) cp = (cp << 6) | (text[i + k] & 0x3F);
  return cp;
}

}  // namespace

std::string Roff(std::string_view text) {
  std::string out;
  bool line_start = true;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    line_start = c == '\n';
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else if (static_cast<unsigned char>(c) >= 0x80) {
      size_t length = 1;
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\[u%04X]",
                    static_cast<unsigned>(DecodeUtf8(text, i, length)));
      out += buf;
      i += length - 1;
    } else {
      out += c;
    }
  }
  return out;
}

std::string RoffArg(std::string_view text) {
  std::string out = "\"";
  for (const char c : Roff(text)) {
    if (c == '"') {
      out += "\\(dq";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string Bold(std::string_view text) { return "\\fB" + Roff(text) + "\\fR"; }
std::string Italic(std::string_view text) { return "\\fI" + Roff(text) + "\\fR"; }

}  // namespace relayguard::docgen
