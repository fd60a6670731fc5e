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
        warnings.push_back(
            absl::StrCat("listeners.internal names ", declared.ToString(), ", but ", l.Name(),
                         " binds ", l.bind.empty() ? "more than loopback" : l.bind,
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

const Listener* FindListener(const std::vector<Listener>& listeners, const SmtpEndpoint& endpoint) {
  for (const Listener& l : listeners) {
    if (l.endpoint.host == endpoint.host && l.endpoint.port == endpoint.port) return &l;
  }
  return nullptr;
}

bool OffersAuth(const AuthSettings& auth, const Listener& listener) {
  for (const SmtpEndpoint& e : auth.listeners.endpoints) {
    if (e.host == listener.endpoint.host && e.port == listener.endpoint.port) return true;
  }
  switch (listener.role) {
    case ListenerRole::kRelay:
      return auth.listeners.relay;
    case ListenerRole::kSubmission:
      return auth.listeners.submission;
  }
  return false;
}

ProbeOptions ListenerProbeOptions(const ProbeSettings& probe, ProbeSource from,
                                  const Listener& listener) {
  ProbeOptions options;
  const bool v6 = listener.endpoint.host.family == IpFamily::kV6;
  if (from == ProbeSource::kTrusted) {
    options.source = v6 ? probe.trusted_source_v6 : probe.trusted_source;
  } else {
    options.source =
        v6 && probe.untrusted_source_v6 ? *probe.untrusted_source_v6 : probe.untrusted_source;
  }
  options.helo_name = probe.helo_name;
  options.timeout = probe.timeout;
  options.tls_on_connect = listener.tls == ListenerTls::kImplicit;
  return options;
}

std::string MissingProbeSource(const ProbeSettings& probe, ProbeSource from,
                               const Listener& listener) {
  const IpAddress source = ListenerProbeOptions(probe, from, listener).source;
  if (source.family == listener.endpoint.host.family) return "";
  return absl::StrCat(
      "listener ", listener.Name(), " is on IPv6 and the policy has no IPv6 ",
      from == ProbeSource::kUntrusted ? "untrusted" : "trusted",
      " source to probe it from: set probe.",
      from == ProbeSource::kUntrusted ? "untrusted_source_v6" : "trusted_source_v6",
      " to an address of this host ",
      from == ProbeSource::kUntrusted ? "outside the trusted networks" : "inside them",
      ", or name it in listeners.internal if only this host uses it");
}

std::string WhyNotProbed(const ProbeSettings& probe, const Listener& listener) {
  if (listener.internal) return "internal (listeners.internal): not probed";
  return MissingProbeSource(probe, ProbeSource::kUntrusted, listener);
}

std::vector<ListenerResult> Unprobed(std::vector<Listener> listeners) {
  std::vector<ListenerResult> out(listeners.size());
  for (size_t i = 0; i < listeners.size(); ++i) out[i].listener = std::move(listeners[i]);
  return out;
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
