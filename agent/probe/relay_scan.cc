#include "agent/probe/relay_scan.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/csv.h"

namespace relayguard::agent {
namespace {

// One connection's worth of work: tricks [begin, end) of target `target`, or (extra) the
// target's extra tests.
struct Task {
  size_t target = 0;
  size_t begin = 0;
  size_t end = 0;
  bool extra = false;
};

RelayTrickDomains DomainsFor(const SmtpEndpoint& endpoint, const RelayTrickDomains& given) {
  RelayTrickDomains d = given;
  if (d.target_ip.empty()) d.target_ip = endpoint.host.ToString();
  if (d.target_host.empty()) d.target_host = "[" + endpoint.host.ToString() + "]";
  return d;
}

// One CSV field on one line: a multi-line SMTP reply is joined with spaces, so every row of
// the scan stays one line of text.
std::string CsvField(const std::string& text) {
  return ::relayguard::CsvField(absl::StrReplaceAll(text, {{"\r", ""}, {"\n", " "}}));
}

std::string FirstRcptReply(const RelayTestResult& t) {
  for (const SmtpExchange& e : t.exchanges) {
    if (e.command.rfind("RCPT", 0) == 0) return e.reply;
  }
  return t.detail;
}

// The table's TLS column: the first negotiated protocol, "failed" when STARTTLS was offered but
// never negotiated, "-" when it was not tried.
std::string TlsColumn(const ScanResult& r) {
  bool tried = false;
  for (const RelayTestResult& t : r.tests) {
    if (!t.tls_session.protocol.empty()) return t.tls_session.protocol;
    tried |= t.tls;
  }
  return tried ? "failed" : "-";
}

}  // namespace

std::vector<ScanResult> RunRelayScan(const std::vector<SmtpEndpoint>& targets,
                                     const ScanOptions& options,
                                     const std::function<void(size_t, size_t)>& progress) {
  std::vector<ScanResult> results(targets.size());
  std::vector<std::vector<RelayTest>> tricks(targets.size());
  // Per target and trick, the run after STARTTLS when there was one.
  std::vector<std::vector<std::optional<RelayTestResult>>> over_tls(targets.size());
  std::vector<Task> tasks;
  const size_t per = static_cast<size_t>(std::max(1, options.tricks_per_connection));
  const auto& implicit = options.tls_on_connect_ports;
  for (size_t t = 0; t < targets.size(); ++t) {
    results[t].endpoint = targets[t];
    results[t].tls_on_connect =
        std::find(implicit.begin(), implicit.end(), targets[t].port) != implicit.end();
    tricks[t] = AllRelayTricks(DomainsFor(targets[t], options.domains));
    results[t].tests.resize(tricks[t].size());
    over_tls[t].resize(tricks[t].size());
    for (size_t b = 0; b < tricks[t].size(); b += per) {
      tasks.push_back({t, b, std::min(b + per, tricks[t].size())});
    }
    if (options.extra_tests) tasks.push_back({t, 0, 0, true});
  }
  std::vector<std::vector<ScanExtraTest>> extras(targets.size());
  std::vector<size_t> tasks_left(targets.size(), 0);
  for (const Task& task : tasks) ++tasks_left[task.target];
  std::vector<std::chrono::steady_clock::time_point> started(
      targets.size(), std::chrono::steady_clock::time_point::max());
  // Per target: whether any probe relayed, and whether every probe was refused.
  std::vector<char> any_accepted(targets.size(), 0), all_refused(targets.size(), 1);
  std::atomic<size_t> next{0};
  std::mutex mu;  // guards results, over_tls, tasks_left, started, the verdicts and done
  size_t done = 0;
  auto worker = [&] {
    for (size_t i = next++; i < tasks.size(); i = next++) {
      const Task& task = tasks[i];
      const auto t0 = std::chrono::steady_clock::now();
      {
        std::lock_guard<std::mutex> lock(mu);
        started[task.target] = std::min(started[task.target], t0);
      }
      ProbeOptions probe = options.probe;
      probe.tls_on_connect = results[task.target].tls_on_connect;
      std::vector<RelayTest> slice(tricks[task.target].begin() + task.begin,
                                   tricks[task.target].begin() + task.end);
      std::vector<ScanExtraTest> extra;
      ProbeReport report;
      if (task.extra) {
        extra = options.extra_tests(targets[task.target], probe);
        bool accepted = false, refused = true;
        for (const ScanExtraTest& e : extra) {
          accepted |= e.result.verdict == ProbeVerdict::kRelayAccepted;
          refused &= e.result.verdict == ProbeVerdict::kRefused;
        }
        report.verdict = accepted  ? ProbeVerdict::kRelayAccepted
                         : refused ? ProbeVerdict::kRefused
                                   : ProbeVerdict::kInconclusive;
      } else {
        report = RunRelayProbe(targets[task.target], slice, probe);
      }
      std::lock_guard<std::mutex> lock(mu);
      ScanResult& r = results[task.target];
      if (task.extra) extras[task.target] = std::move(extra);
      // The report holds the slice in plaintext (or, when-offered, over TLS if it could), then
      // with kBoth the slice again after STARTTLS.
      for (size_t k = 0; k < report.tests.size(); ++k) {
        if (k < slice.size()) {
          r.tests[task.begin + k] = std::move(report.tests[k]);
        } else {
          over_tls[task.target][task.begin + k - slice.size()] = std::move(report.tests[k]);
        }
      }
      any_accepted[task.target] |= report.verdict == ProbeVerdict::kRelayAccepted;
      all_refused[task.target] &= report.verdict == ProbeVerdict::kRefused;
      if (--tasks_left[task.target] > 0) continue;
      r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started[task.target]);
      for (std::optional<RelayTestResult>& t : over_tls[task.target]) {
        if (t.has_value()) r.tests.push_back(std::move(*t));
      }
      bool trick_relayed = false;
      for (const RelayTestResult& t : r.tests) {
        trick_relayed |= t.verdict == ProbeVerdict::kRelayAccepted;
      }
      for (ScanExtraTest& e : extras[task.target]) {
        if (!trick_relayed && r.reason.empty() &&
            e.result.verdict == ProbeVerdict::kRelayAccepted) {
          r.reason = e.reason;
        }
        r.tests.push_back(std::move(e.result));
      }
      r.verdict = any_accepted[task.target]                     ? ProbeVerdict::kRelayAccepted
                  : all_refused[task.target] && !r.tests.empty() ? ProbeVerdict::kRefused
                                                                 : ProbeVerdict::kInconclusive;
      ++done;
      if (progress) progress(done, targets.size());
    }
  };
  const size_t threads =
      std::min(tasks.size(), static_cast<size_t>(std::max(1, options.concurrency)));
  std::vector<std::thread> pool;
  for (size_t i = 0; i < threads; ++i) pool.emplace_back(worker);
  for (std::thread& t : pool) t.join();
  return results;
}

std::string ScanTable(const std::vector<ScanResult>& results) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-26s %-14s %8s %7s %12s  %-80s  %s\n", "TARGET", "VERDICT",
                "ACCEPTED", "REFUSED", "INCONCLUSIVE", "FIRST ACCEPTED TRICK / REASON", "TLS");
  out += line;
  for (const ScanResult& r : results) {
    int accepted = 0, refused = 0, inconclusive = 0;
    std::string first = r.reason;
    for (const RelayTestResult& t : r.tests) {
      if (t.verdict == ProbeVerdict::kRelayAccepted) {
        ++accepted;
        if (first.empty()) first = t.tls ? t.test.name + " (TLS)" : t.test.name;
      } else if (t.verdict == ProbeVerdict::kRefused) {
        ++refused;
      } else {
        ++inconclusive;
        if (first.empty() && r.verdict == ProbeVerdict::kInconclusive) first = t.detail;
      }
    }
    std::snprintf(line, sizeof line, "%-26s %-14s %8d %7d %12d  %-80s  %s\n",
                  r.endpoint.ToString().c_str(), ProbeVerdictName(r.verdict), accepted, refused,
                  inconclusive, first.substr(0, 80).c_str(), TlsColumn(r).c_str());
    out += line;
  }
  return out;
}

std::string ScanJson(const std::vector<ScanResult>& results) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const ScanResult& r : results) {
    nlohmann::ordered_json tricks = nlohmann::ordered_json::array();
    for (const RelayTestResult& t : r.tests) {
      nlohmann::ordered_json exchanges = nlohmann::ordered_json::array();
      for (const SmtpExchange& e : t.exchanges) {
        exchanges.push_back({{"command", e.command}, {"reply", e.reply}});
      }
      nlohmann::ordered_json trick = {{"name", t.test.name},
                                      {"mail_from", t.test.mail_from},
                                      {"rcpt_to", t.test.rcpt_to},
                                      {"verdict", ProbeVerdictName(t.verdict)},
                                      {"detail", t.detail},
                                      {"exchanges", exchanges},
                                      {"tls", t.tls}};
      if (!t.tls_session.protocol.empty()) {
        trick["tls_protocol"] = t.tls_session.protocol;
        trick["tls_cipher"] = t.tls_session.cipher;
        trick["tls_peer_subject"] = t.tls_session.peer_subject;
      }
      tricks.push_back(std::move(trick));
    }
    nlohmann::ordered_json target = {{"target", r.endpoint.ToString()},
                                     {"verdict", ProbeVerdictName(r.verdict)},
                                     {"elapsed_ms", r.elapsed.count()},
                                     {"tricks", tricks},
                                     {"tls_on_connect", r.tls_on_connect}};
    if (!r.reason.empty()) target["reason"] = r.reason;
    out.push_back(std::move(target));
  }
  // Replies are the servers' bytes: invalid UTF-8 becomes U+FFFD instead of an exception.
  return out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::string ScanCsv(const std::vector<ScanResult>& results) {
  std::string out = "target,verdict,trick,mail_from,rcpt_to,trick_verdict,rcpt_reply,tls,"
                    "tls_protocol\n";
  for (const ScanResult& r : results) {
    for (const RelayTestResult& t : r.tests) {
      absl::StrAppend(&out, CsvField(r.endpoint.ToString()), ",", ProbeVerdictName(r.verdict),
                      ",", CsvField(t.test.name), ",", CsvField(t.test.mail_from), ",",
                      CsvField(t.test.rcpt_to), ",", ProbeVerdictName(t.verdict), ",",
                      CsvField(FirstRcptReply(t)), ",", t.tls ? "yes" : "no", ",",
                      CsvField(t.tls_session.protocol), "\n");
    }
  }
  return out;
}

}  // namespace relayguard::agent
