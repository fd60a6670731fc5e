// scan_bench: relayguard's relay scan against nmap's smtp-open-relay script on the same real
// SMTP listeners, in one run. Two sandboxed Postfix instances on loopback, one an open relay and
// one closed (reject_unauth_destination), each with N/2 smtpd listeners on ports chosen at run
// time; both tools probe all N from the untrusted source 127.0.0.9. Prints the time of each,
// the ratio, and how far the verdicts agree (listing every disagreement).
//
// usage: scan_bench [--listeners N] (default 200)
// Target: at least 10x faster than nmap with identical or better-explained verdicts.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/postfix_lab.h"

namespace {

using relayguard::testing::FreeLoopbackPort;
using relayguard::testing::PostfixLab;
using relayguard::testing::ReadFileOrDie;
using relayguard::testing::RunCommand;
using relayguard::testing::WriteFileOrDie;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Adds `count` more smtpd listeners to the lab's master.cf; returns every listener's port.
// `used` holds every port taken so far (by any lab).
std::vector<int> AddListeners(PostfixLab& lab, int count, std::set<int>& used) {
  std::vector<int> ports = {lab.port()};
  std::string master = ReadFileOrDie(lab.master_cf());
  while (static_cast<int>(ports.size()) < count) {
    int port = FreeLoopbackPort();
    if (!used.insert(port).second) continue;
    ports.push_back(port);
    master += "127.0.0.1:" + std::to_string(port) + " inet n - n - - smtpd\n";
  }
  WriteFileOrDie(lab.master_cf(), master);
  return ports;
}

// port -> "relay-accepted" / "refused" / "inconclusive" from relayguardctl scan --csv.
std::map<int, std::string> OurVerdicts(const std::string& csv) {
  std::map<int, std::string> out;
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);  // header
  static const std::regex row(R"(^127\.0\.0\.1:(\d+),([a-z-]+),)");
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, row)) out[std::stoi(m[1])] = m[2];
  }
  return out;
}

// port -> verdict from nmap's normal output.
std::map<int, std::string> NmapVerdicts(const std::string& text, std::map<int, std::string>* why) {
  std::map<int, std::string> out;
  std::istringstream in(text);
  std::string line;
  int port = 0;
  static const std::regex port_line(R"(^(\d+)/tcp\s)");
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, port_line)) {
      port = std::stoi(m[1]);
      out[port] = "no-result";
      continue;
    }
    size_t at = line.find("smtp-open-relay:");
    if (port == 0 || at == std::string::npos) continue;
    std::string said = line.substr(at + 17);
    (*why)[port] = said;
    if (said.find("is an open relay") != std::string::npos) {
      out[port] = "relay-accepted";
    } else if (said.find("doesn't seem to be an open relay") != std::string::npos) {
      out[port] = "refused";
    } else {
      out[port] = "inconclusive";
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int listeners = 200;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--listeners" && i + 1 < argc) {
      listeners = std::atoi(argv[++i]);
    } else {
      std::cerr << "usage: scan_bench [--listeners N]\n";
      return 1;
    }
  }
  if (listeners < 2) listeners = 2;
  PostfixLab open("0.0.0.0/0");
  PostfixLab closed("127.0.0.1/32");
  std::set<int> used = {open.port(), closed.port()};
  std::vector<int> open_ports = AddListeners(open, listeners / 2, used);
  std::vector<int> closed_ports = AddListeners(closed, listeners - listeners / 2, used);
  std::string out;
  // Refuse outright (5xx) instead of the lab's default defer (4xx).
  RunCommand({"/usr/sbin/postconf", "-c", closed.config_dir(), "-e",
              "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination"},
             &out);
  // Both tools start (and abandon) many messages; Postfix's in_flow_delay would make every
  // MAIL wait 1 s once the (discarded) arrivals outrun delivery, timing Postfix, not the tools.
  for (PostfixLab* lab : {&open, &closed}) {
    RunCommand({"/usr/sbin/postconf", "-c", lab->config_dir(), "-e", "in_flow_delay = 0s"}, &out);
  }
  open.Start();
  closed.Start();
  std::map<int, std::string> truth;
  std::string targets, port_list;
  for (int p : open_ports) truth[p] = "relay-accepted";
  for (int p : closed_ports) truth[p] = "refused";
  for (const auto& [p, v] : truth) {
    targets += "127.0.0.1:" + std::to_string(p) + "\n";
    port_list += (port_list.empty() ? "" : ",") + std::to_string(p);
  }
  const std::string list = open.dir() + "/targets";
  WriteFileOrDie(list, targets);
  std::this_thread::sleep_for(std::chrono::seconds(1));  // every listener up

  auto t0 = Clock::now();
  std::string csv;
  RunCommand({RG_BINARY_DIR "/controller/relayguardctl", "scan", "--from", "127.0.0.9", "--csv",
              "@" + list},
             &csv, {}, nullptr, /*keep_stderr=*/false);
  const double ours_s = Seconds(t0);
  std::map<int, std::string> ours = OurVerdicts(csv);

  t0 = Clock::now();
  std::string nmap_out;
  RunCommand({"/usr/bin/nmap", "-n", "-Pn", "-sT", "-S", "127.0.0.9", "-e", "lo", "-p", port_list,
              "--script", "+smtp-open-relay", "127.0.0.1"},
             &nmap_out, {}, nullptr, /*keep_stderr=*/false);
  const double nmap_s = Seconds(t0);
  std::map<int, std::string> why;
  std::map<int, std::string> theirs = NmapVerdicts(nmap_out, &why);

  int ours_right = 0, nmap_right = 0, agree = 0;
  std::vector<std::string> differences;
  for (const auto& [port, want] : truth) {
    const std::string a = ours.count(port) ? ours[port] : "missing";
    const std::string b = theirs.count(port) ? theirs[port] : "missing";
    ours_right += a == want;
    nmap_right += b == want;
    agree += a == b;
    if (a != b) {
      differences.push_back("  port " + std::to_string(port) + " (" + want + "): relayguard " +
                            a + ", nmap " + b + (why.count(port) ? " — nmap: " + why[port] : ""));
    }
  }
  std::printf("listeners %zu (%zu open relays, %zu closed), source 127.0.0.9\n", truth.size(),
              open_ports.size(), closed_ports.size());
  std::printf("relayguard scan: %.2f s, %d/%zu verdicts right\n", ours_s, ours_right,
              truth.size());
  std::printf("nmap smtp-open-relay: %.2f s, %d/%zu verdicts right\n", nmap_s, nmap_right,
              truth.size());
  std::printf("speed-up: %.1fx (target >= 10x); verdicts agree on %d/%zu\n",
              ours_s > 0 ? nmap_s / ours_s : 0.0, agree, truth.size());
  for (size_t i = 0; i < differences.size() && i < 10; ++i) std::printf("%s\n", differences[i].c_str());
  if (differences.size() > 10) std::printf("  ... %zu more\n", differences.size() - 10);
  return ours_right == static_cast<int>(truth.size()) ? 0 : 1;
}
