// master.cf (agent/mta/postfix/master_cf.h): Parse(x).Render() == x for every x; setting,
// adding and removing a service's -o override gives a file that reads back with exactly that
// change, the service still starting on its line.
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/mta/postfix/master_cf.h"
#include "fuzz/fuzz_check.h"

using relayguard::agent::postfix::MasterCf;

namespace {

std::string Where(const MasterCf::Service& s) {
  return s.Id() + " at line " + std::to_string(s.line);
}

// The edited file read back; the service at `line` must still be there.
MasterCf Reread(const MasterCf& edited, int line, const std::string& what) {
  MasterCf back = MasterCf::Parse(edited.Render());
  FUZZ_CHECK(back.Render() == edited.Render(), "render not stable after " + what);
  FUZZ_CHECK(back.ServiceAt(line) != nullptr,
             "no service at line " + std::to_string(line) + " after " + what);
  return back;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const MasterCf cf = MasterCf::Parse(text);
  FUZZ_CHECK(cf.Render() == text, "Parse(x).Render() != x");
  (void)relayguard::agent::postfix::ParseMasterCf(text);
  for (const MasterCf::Service& service : cf.Services()) {
    FUZZ_CHECK(cf.ServiceAt(service.line) != nullptr, "ServiceAt(" + Where(service) + ")");
    if (service.fields < 8) continue;
    const std::string id = Where(service);
    {
      MasterCf edited = cf;
      if (!edited.AddOverride(service.line, "rg_fuzz_added", "permit_mynetworks, reject")) {
        FUZZ_CHECK(edited.Render() == text, "a refused AddOverride changed the file");
        continue;
      }
      const MasterCf back = Reread(edited, service.line, "AddOverride on " + id);
      const MasterCf::Service* s = back.ServiceAt(service.line);
      const MasterCf::Override* o = s->Find("rg_fuzz_added");
      FUZZ_CHECK(o != nullptr && o->value == "permit_mynetworks, reject",
                 "added override reads back as " + (o ? o->value : std::string("<none>")) +
                     " on " + id);
    }
    for (const MasterCf::Override& o : service.overrides) {
      if (o.name.empty() || o.name.find_first_of("{}= \t\r\n") != std::string::npos) continue;
      MasterCf set = cf;
      if (set.SetOverride(service.line, o.name, "reject_unauth_destination")) {
        const MasterCf back = Reread(set, service.line, "SetOverride " + o.name);
        const MasterCf::Service* s = back.ServiceAt(service.line);
        const MasterCf::Override* w = s->Find(o.name);
        FUZZ_CHECK(w != nullptr && w->value == "reject_unauth_destination",
                   "SetOverride(" + o.name + ") on " + id + " reads back as " +
                       (w ? w->value : std::string("<none>")));
      }
      MasterCf removed = cf;
      if (removed.RemoveOverride(service.line, o.name)) {
        const MasterCf back = Reread(removed, service.line, "RemoveOverride " + o.name);
        const MasterCf::Service* s = back.ServiceAt(service.line);
        FUZZ_CHECK(s->Find(o.name) == nullptr,
                   "RemoveOverride(" + o.name + ") on " + id + " left " + s->Find(o.name)->value);
      }
    }
  }
  return 0;
}
