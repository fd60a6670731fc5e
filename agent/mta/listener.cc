#include "agent/mta/listener.h"

#include "absl/strings/str_cat.h"

namespace relayguard::agent {

const char* ListenerTlsName(ListenerTls tls) {
  return tls == ListenerTls::kImplicit ? "implicit-tls" : "plain";
}

const char* ListenerRoleName(ListenerRole role) {
  return role == ListenerRole::kSubmission ? "submission" : "relay";
}

std::string Listener::Name() const {
  std::string name = absl::StrCat(endpoint.ToString(), " (", service);
  if (!declared_at.empty()) absl::StrAppend(&name, ", ", declared_at);
  if (tls == ListenerTls::kImplicit) absl::StrAppend(&name, ", implicit TLS");
  if (internal) absl::StrAppend(&name, ", internal");
  return name + ")";
}

std::vector<std::string> MarkInternalListeners(const ProbeSettings& probe,
                                               std::vector<Listener>& listeners) {
  std::vector<std::string> warnings;
  for (const SmtpEndpoint& declared : probe.internal_listeners) {
    bool matched = false;
    for (Listener& l : listeners) {
      if (!(l.endpoint.host == declared.host && l.endpoint.port == declared.port)) continue;
      matched = true;
      if (l.loopback_only) {
        l.internal = true;
      } else {
        warnings.push_back(absl::StrCat(
            "listeners.internal names ", declared.ToString(), ", but ", l.Name(), " binds ",
            l.bind.empty() ? "more than loopback" : l.bind,
            ": other hosts can reach it, so it is probed like any other listener"));
      }
    }
    if (!matched) {
      warnings.push_back(absl::StrCat("listeners.internal names ", declared.ToString(),
                                      ", but the MTA declares no listener there"));
    }
  }
  return warnings;
}

void AddExtraListener(const std::optional<SmtpEndpoint>& extra, std::vector<Listener>& listeners) {
  if (!extra || FindListener(listeners, *extra) != nullptr) return;
  Listener l;
  l.endpoint = *extra;
  l.bind = extra->host.ToString();
  l.service = "--smtp";
  l.declared_at = "the command line";
  listeners.push_back(std::move(l));
}

const Listener* FindListener(const std::vector<Listener>& listeners,
                             const SmtpEndpoint& endpoint) {
  for (const Listener& l : listeners) {
    if (l.endpoint.host == endpoint.host && l.endpoint.port == endpoint.port) return &l;
  }
  return nullptr;
}

ProbeOptions ListenerProbeOptions(const ProbeSettings& probe, const IpAddress& source,
                                  const Listener& listener) {
  ProbeOptions options;
  options.source = source;
  options.helo_name = probe.helo_name;
  options.timeout = probe.timeout;
  options.tls_on_connect = listener.tls == ListenerTls::kImplicit;
  return options;
}

ProbeVerdict HostVerdict(const std::vector<ListenerResult>& results) {
  bool any_probed = false;
  bool all_refused = true;
  for (const ListenerResult& r : results) {
    if (r.listener.internal) continue;
    any_probed = true;
    if (r.verdict == ProbeVerdict::kRelayAccepted) return ProbeVerdict::kRelayAccepted;
    all_refused = all_refused && r.verdict == ProbeVerdict::kRefused;
  }
  return any_probed && all_refused ? ProbeVerdict::kRefused : ProbeVerdict::kInconclusive;
}

}  // namespace relayguard::agent
