// main.cf (agent/mta/postfix/main_cf.h): Parse(x).Render() == x for every x; a Set or a
// SetRawValue gives a file that reads back with the value set and every other key unchanged.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "agent/mta/postfix/main_cf.h"
#include "fuzz/fuzz_check.h"

using relayguard::agent::postfix::MainCf;

namespace {

std::map<std::string, std::string> Values(const MainCf& cf) {
  std::map<std::string, std::string> values;
  for (const std::string& key : cf.Keys()) values[key] = cf.Get(key).value_or("<unset>");
  return values;
}

void CheckSet(const std::string& text, const std::string& key, const std::string& value) {
  MainCf cf = MainCf::Parse(text);
  std::map<std::string, std::string> before = Values(cf);
  cf.Set(key, value);
  MainCf back = MainCf::Parse(cf.Render());
  FUZZ_CHECK(back.Render() == cf.Render(), "render of the edited file is not stable");
  FUZZ_CHECK(back.Get(key) == value, "Set(" + key + ", " + value + ") reads back as " +
                                         back.Get(key).value_or("<unset>"));
  before[key] = value;
  std::map<std::string, std::string> after = Values(back);
  for (const auto& [k, v] : before) {
    FUZZ_CHECK(after.count(k) == 1 && after[k] == v,
               "Set(" + key + ") changed " + k + " from \"" + v + "\" to \"" + after[k] + "\"");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  MainCf cf = MainCf::Parse(text);
  FUZZ_CHECK(cf.Render() == text, "Parse(x).Render() != x");
  for (const std::string& key : cf.Keys()) {
    FUZZ_CHECK(cf.Get(key).has_value() && cf.Line(key).has_value() && cf.RawValue(key).has_value(),
               "key " + key + " listed but not found");
  }
  // The relay fix's edits: an existing key (the last one listed) and a new one.
  const std::string value = "permit_mynetworks, reject_unauth_destination";
  if (!cf.Keys().empty()) {
    const std::string key = cf.Keys()[size % cf.Keys().size()];
    // Keys the parser lists are what a user wrote; edit only names Postfix could have.
    bool plain = !key.empty();
    for (char c : key) plain = plain && (isalnum(static_cast<unsigned char>(c)) || c == '_');
    if (plain) CheckSet(text, key, value);
  }
  CheckSet(text, "smtpd_relay_restrictions", value);
  CheckSet(text, "mynetworks", "127.0.0.0/8 [::1]/128");
  return 0;
}
