// rg-syslog-sink: a minimal syslog daemon for the MTA lab. Sendmail logs only through syslog(3)
// to /dev/log, and the lab machines (and CI) have neither /dev/log nor a syslog daemon;
// tests/support/mta_sandbox.sh gives each sandbox a private /dev, and this program owns the
// sandbox's /dev/log (one sink per test process, so the lines of concurrent tests never mix).
//
// It receives the datagrams glibc's syslog() sends, `<PRI>Mmm dd hh:mm:ss TAG[PID]: MSG`, and
// appends each as one line in the format of Debian 12's rsyslog default (RSYSLOG_FileFormat:
// RFC 3339 reception time with microseconds, short host name, the tag, the message):
//   2026-12-05T10:00:01.123456+00:00 HOST sm-mta[PID]: MSG
// and, with --traditional-out, also in RSYSLOG_TraditionalFileFormat:
//   Dec  5 10:00:01 HOST sm-mta[PID]: MSG
// Control characters are escaped as rsyslog does (#ooo octal), a trailing newline dropped.
//
// usage: rg-syslog-sink --socket PATH --out FILE [--traditional-out FILE] [--hostname NAME]
// The socket exists (and takes datagrams) once the program is ready. SIGTERM/SIGINT: the socket
// is removed and the program exits 0.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>

namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Skips "<PRI>" and the traditional "Mmm dd hh:mm:ss " timestamp glibc puts before the tag
// (rsyslog's imuxsock ignores that timestamp by default and stamps the reception time).
std::string_view StripHeader(std::string_view m) {
  if (!m.empty() && m[0] == '<') {
    size_t i = 1;
    while (i < m.size() && i < 5 && IsDigit(m[i])) ++i;
    if (i < m.size() && m[i] == '>') m.remove_prefix(i + 1);
  }
  // "Dec  5 10:00:01 " : letters, space, day (space-padded), space, hh:mm:ss, space.
  if (m.size() >= 16 && m[3] == ' ' && m[6] == ' ' && m[9] == ':' && m[12] == ':' &&
      m[15] == ' ' && IsDigit(m[7]) && IsDigit(m[14])) {
    m.remove_prefix(16);
  }
  return m;
}

std::string Escape(std::string_view m) {
  while (!m.empty() && (m.back() == '\n' || m.back() == '\0')) m.remove_suffix(1);
  std::string out;
  out.reserve(m.size());
  for (unsigned char c : m) {
    if (c < 0x20 || c == 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof(buf), "#%03o", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string Rfc3339Now(const timespec& ts) {
  tm local{};
  localtime_r(&ts.tv_sec, &local);
  char date[40], zone[8];
  std::strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &local);
  std::strftime(zone, sizeof(zone), "%z", &local);  // +0000 -> +00:00
  std::string z(zone);
  if (z.size() == 5) z.insert(3, ":");
  char micros[24];
  std::snprintf(micros, sizeof(micros), ".%06ld", ts.tv_nsec / 1000);
  return std::string(date) + micros + z;
}

std::string TraditionalNow(const timespec& ts) {
  tm local{};
  localtime_r(&ts.tv_sec, &local);
  char date[32];
  std::strftime(date, sizeof(date), "%b %e %H:%M:%S", &local);
  return date;
}

bool AppendLine(int fd, const std::string& line) {
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = write(fd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

int Usage() {
  std::fprintf(stderr,
               "usage: rg-syslog-sink --socket PATH --out FILE [--traditional-out FILE] "
               "[--hostname NAME]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string socket_path, out_path, traditional_path, host;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (i + 1 >= argc) return Usage();
    if (a == "--socket") {
      socket_path = argv[++i];
    } else if (a == "--out") {
      out_path = argv[++i];
    } else if (a == "--traditional-out") {
      traditional_path = argv[++i];
    } else if (a == "--hostname") {
      host = argv[++i];
    } else {
      return Usage();
    }
  }
  if (socket_path.empty() || out_path.empty()) return Usage();
  if (host.empty()) {
    char name[256] = {};
    gethostname(name, sizeof(name) - 1);
    host = name;
    // rsyslog writes the short name unless PreserveFQDN is on (Debian's default is off).
    if (size_t dot = host.find('.'); dot != std::string::npos) host.resize(dot);
  }
  int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (out < 0) {
    std::fprintf(stderr, "rg-syslog-sink: cannot open %s: %s\n", out_path.c_str(),
                 std::strerror(errno));
    return 1;
  }
  int traditional = -1;
  if (!traditional_path.empty()) {
    traditional = open(traditional_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (traditional < 0) {
      std::fprintf(stderr, "rg-syslog-sink: cannot open %s: %s\n", traditional_path.c_str(),
                   std::strerror(errno));
      return 1;
    }
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) {
    std::fprintf(stderr, "rg-syslog-sink: socket path too long: %s\n", socket_path.c_str());
    return 1;
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size());
  int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  unlink(socket_path.c_str());  // a stale socket of an earlier sink
  // The file appears only once it is fully set up: bind a temporary name, then rename.
  std::string tmp = socket_path + ".new";
  sockaddr_un tmp_addr = addr;
  if (tmp.size() >= sizeof(tmp_addr.sun_path)) tmp = socket_path;
  std::memset(tmp_addr.sun_path, 0, sizeof(tmp_addr.sun_path));
  std::memcpy(tmp_addr.sun_path, tmp.c_str(), tmp.size());
  unlink(tmp.c_str());
  if (sock < 0 || bind(sock, reinterpret_cast<sockaddr*>(&tmp_addr), sizeof(tmp_addr)) != 0) {
    std::fprintf(stderr, "rg-syslog-sink: cannot bind %s: %s\n", tmp.c_str(),
                 std::strerror(errno));
    return 1;
  }
  chmod(tmp.c_str(), 0666);  // daemons log after dropping privileges
  int rcvbuf = 1 << 20;
  setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  if (tmp != socket_path && rename(tmp.c_str(), socket_path.c_str()) != 0) {
    std::fprintf(stderr, "rg-syslog-sink: cannot rename %s to %s: %s\n", tmp.c_str(),
                 socket_path.c_str(), std::strerror(errno));
    return 1;
  }
  struct sigaction sa {};
  sa.sa_handler = OnSignal;  // no SA_RESTART: recv returns EINTR
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  static char buf[64 * 1024 + 1];
  while (!g_stop) {
    ssize_t n = recv(sock, buf, sizeof(buf) - 1, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "rg-syslog-sink: recv: %s\n", std::strerror(errno));
      break;
    }
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    const std::string rest = Escape(StripHeader(std::string_view(buf, static_cast<size_t>(n))));
    AppendLine(out, Rfc3339Now(now) + " " + host + " " + rest + "\n");
    if (traditional >= 0) AppendLine(traditional, TraditionalNow(now) + " " + host + " " + rest + "\n");
  }
  unlink(socket_path.c_str());
  return 0;
}
