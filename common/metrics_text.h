// Prometheus metrics in the text exposition format (prometheus-cpp's registry and serializer),
// for the controller's /metrics and the agent's node_exporter textfile-collector file.
#ifndef RELAYGUARD_COMMON_METRICS_TEXT_H_
#define RELAYGUARD_COMMON_METRICS_TEXT_H_

#include <string>

#include "absl/status/status.h"
#include "prometheus/registry.h"

namespace relayguard {

// The text format (version 0.0.4) of everything `registry` holds, as /metrics serves it.
std::string MetricsText(const prometheus::Registry& registry);

// The Content-Type of MetricsText's output.
inline constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// Replaces `path` with `text` so that a reader (node_exporter's textfile collector) sees the old
// file or the new one, never a part: writes "<path>.tmp.<pid>" in the same directory, fsyncs
// it, renames it over `path`, fsyncs the directory. The file is 0644 (metrics are not secret).
// Errors name the path and the step ("cannot write /var/lib/...: No space left on device");
// the temporary file never stays behind.
absl::Status WriteFileAtomically(const std::string& path, const std::string& text);

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_METRICS_TEXT_H_
