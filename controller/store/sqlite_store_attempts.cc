// SqliteStore: the log monitor's attempt reports (schema migration 8). A report is one row of
// attempt_reports (its totals) and one row of attempts per source it lists; the lists of text
// (samples, warnings) are kept as one BLOB each, every item as "LENGTH:BYTES".
#include <sqlite3.h>

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "controller/store/sqlite_statement.h"
#include "controller/store/sqlite_store.h"

namespace relayguard::controller {
namespace {

using sql::Blob;
using sql::FromSql;
using sql::LimitToSql;
using sql::Statement;
using sql::ToSql;
using sql::Transaction;

std::string EncodeList(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) absl::StrAppend(&out, item.size(), ":", item);
  return out;
}

// The items of EncodeList's bytes; DataLoss naming the row when they are not its format.
absl::StatusOr<std::vector<std::string>> DecodeList(const std::string& bytes,
                                                    const std::string& path,
                                                    const std::string& where) {
  std::vector<std::string> out;
  for (size_t at = 0; at < bytes.size();) {
    const size_t colon = bytes.find(':', at);
    size_t length = 0;
    if (colon == std::string::npos ||
        !absl::SimpleAtoi(absl::string_view(bytes).substr(at, colon - at), &length) ||
        length > bytes.size() - colon - 1) {
      return absl::DataLossError(absl::StrCat("SQLite database ", path, ", ", where,
                                              ": a list of text that is not LENGTH:BYTES"));
    }
    out.push_back(bytes.substr(colon + 1, length));
    at = colon + 1 + length;
  }
  return out;
}

constexpr char kReportColumns[] =
    "id, host, seq, period_start, period_end, received_at, other_sources, refused, "
    "sasl_failures, relayed, lines, unknown_lines, log_source, warnings";

constexpr char kSourceColumns[] =
    "source, refused, recipients, sasl_failures, relayed, first_seen, last_seen, samples, "
    "over_threshold";

}  // namespace

absl::StatusOr<bool> SqliteStore::AddAttemptReport(const AttemptReportRecord& r) {
  const std::string what = absl::StrCat("saving attempt report ", r.seq, " of host ", r.host);
  Transaction tx(db_, path_);
  RETURN_IF_ERROR(tx.Begin(what));
  Statement insert(db_, path_, what);
  RETURN_IF_ERROR(insert.Prepare(
      "INSERT INTO attempt_reports (host, seq, period_start, period_end, received_at, "
      "other_sources, refused, sasl_failures, relayed, lines, unknown_lines, log_source, "
      "warnings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (host, seq) DO "
      "NOTHING"));
  const std::string warnings = EncodeList(r.warnings);
  RETURN_IF_ERROR(insert
                      .Bind(r.host, ToSql(r.seq), r.period_start, r.period_end, r.received_at,
                            ToSql(r.other_sources), ToSql(r.refused), ToSql(r.sasl_failures),
                            ToSql(r.relayed), ToSql(r.lines), ToSql(r.unknown_lines), r.log_source,
                            Blob{warnings})
                      .Run());
  if (sqlite3_changes(db_) != 1) return false;  // a re-send: the stored copy stays
  const int64_t report_id = sqlite3_last_insert_rowid(db_);
  Statement source(db_, path_, what);
  RETURN_IF_ERROR(source.Prepare(
      absl::StrCat("INSERT INTO attempts (report_id, position, host, seq, period_start, "
                   "period_end, ",
                   kSourceColumns, ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
          .c_str()));
  int64_t position = 0;
  for (const SourceAttemptsRecord& s : r.sources) {
    source.Reset();
    const std::string samples = EncodeList(s.samples);
    RETURN_IF_ERROR(source
                        .Bind(report_id, position++, r.host, ToSql(r.seq), r.period_start,
                              r.period_end, s.source, ToSql(s.refused), ToSql(s.recipients),
                              ToSql(s.sasl_failures), ToSql(s.relayed), s.first_seen, s.last_seen,
                              Blob{samples}, s.over_threshold)
                        .Run());
  }
  if (r.seq % 100 == 0) RETURN_IF_ERROR(PruneAttemptReports(r.host, r.period_end));
  RETURN_IF_ERROR(tx.Commit(what));
  return true;
}

absl::Status SqliteStore::PruneAttemptReports(const std::string& host, int64_t newest_period_end) {
  Statement prune(db_, path_, absl::StrCat("pruning old attempt reports of host ", host));
  // The sources go with their report (ON DELETE CASCADE).
  RETURN_IF_ERROR(prune.Prepare(
      "DELETE FROM attempt_reports WHERE host = ? AND (period_end < ? OR id NOT IN (SELECT id "
      "FROM attempt_reports WHERE host = ? ORDER BY period_end DESC, seq DESC LIMIT ?))"));
  return prune
      .Bind(host, newest_period_end - attempt_max_age_s_, host, LimitToSql(attempt_keep_per_host_))
      .Run();
}

absl::StatusOr<std::vector<AttemptReportRecord>> SqliteStore::AttemptReports(
    const std::string& host, int64_t since, size_t limit) {
  const std::string what = host.empty() ? std::string("listing attempt reports")
                                        : absl::StrCat("listing attempt reports of host ", host);
  Statement q(db_, path_, what);
  RETURN_IF_ERROR(q.Prepare(absl::StrCat("SELECT ", kReportColumns,
                                         " FROM attempt_reports WHERE (? = '' OR host = ?) AND "
                                         "period_end >= ? ORDER BY period_end DESC, host, seq "
                                         "DESC LIMIT ?")
                                .c_str()));
  q.Bind(host, host, since, LimitToSql(limit));
  std::vector<AttemptReportRecord> out;
  std::vector<int64_t> ids;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    AttemptReportRecord r;
    ids.push_back(q.Int64(0));
    r.host = q.Text(1);
    r.seq = FromSql(q.Int64(2));
    r.period_start = q.Int64(3);
    r.period_end = q.Int64(4);
    r.received_at = q.Int64(5);
    r.other_sources = FromSql(q.Int64(6));
    r.refused = FromSql(q.Int64(7));
    r.sasl_failures = FromSql(q.Int64(8));
    r.relayed = FromSql(q.Int64(9));
    r.lines = FromSql(q.Int64(10));
    r.unknown_lines = FromSql(q.Int64(11));
    r.log_source = q.Text(12);
    ASSIGN_OR_RETURN(r.warnings, DecodeList(q.BlobBytes(13), path_,
                                            absl::StrCat("table attempt_reports, row host ", r.host,
                                                         " seq ", r.seq)));
    out.push_back(std::move(r));
  }
  Statement sources(db_, path_, what);
  RETURN_IF_ERROR(sources.Prepare(absl::StrCat("SELECT ", kSourceColumns,
                                               " FROM attempts WHERE report_id = ? ORDER BY "
                                               "position")
                                      .c_str()));
  for (size_t i = 0; i < out.size(); ++i) {
    sources.Reset();
    sources.Bind(ids[i]);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, sources.Step());
      if (!row) break;
      SourceAttemptsRecord s;
      s.source = sources.Text(0);
      s.refused = FromSql(sources.Int64(1));
      s.recipients = FromSql(sources.Int64(2));
      s.sasl_failures = FromSql(sources.Int64(3));
      s.relayed = FromSql(sources.Int64(4));
      s.first_seen = sources.Int64(5);
      s.last_seen = sources.Int64(6);
      ASSIGN_OR_RETURN(s.samples,
                       DecodeList(sources.BlobBytes(7), path_,
                                  absl::StrCat("table attempts, row host ", out[i].host, " seq ",
                                               out[i].seq, " source ", s.source)));
      s.over_threshold = sources.Int64(8) != 0;
      out[i].sources.push_back(std::move(s));
    }
  }
  return out;
}

absl::StatusOr<std::vector<SourceAttemptsSummary>> SqliteStore::AttemptsSince(
    const std::string& host, int64_t since, size_t limit) {
  Statement q(db_, path_,
              host.empty() ? std::string("summing relay attempts")
                           : absl::StrCat("summing relay attempts of host ", host));
  // The samples are those of the source's newest row in the range.
  RETURN_IF_ERROR(q.Prepare(
      "SELECT a.host, a.source, SUM(a.refused), MAX(a.recipients), SUM(a.sasl_failures), "
      "SUM(a.relayed), MIN(a.first_seen), MAX(a.last_seen), MAX(a.over_threshold), "
      "(SELECT b.samples FROM attempts b WHERE b.host = a.host AND b.source = a.source AND "
      "b.period_end >= ? ORDER BY b.last_seen DESC, b.period_end DESC LIMIT 1) "
      "FROM attempts a WHERE (? = '' OR a.host = ?) AND a.period_end >= ? "
      "GROUP BY a.host, a.source ORDER BY SUM(a.refused) DESC, a.host, a.source LIMIT ?"));
  q.Bind(since, host, host, since, LimitToSql(limit));
  std::vector<SourceAttemptsSummary> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    SourceAttemptsSummary s;
    s.host = q.Text(0);
    s.source = q.Text(1);
    s.refused = FromSql(q.Int64(2));
    s.recipients = FromSql(q.Int64(3));
    s.sasl_failures = FromSql(q.Int64(4));
    s.relayed = FromSql(q.Int64(5));
    s.first_seen = q.Int64(6);
    s.last_seen = q.Int64(7);
    s.over_threshold = q.Int64(8) != 0;
    ASSIGN_OR_RETURN(
        s.samples, DecodeList(q.BlobBytes(9), path_,
                              absl::StrCat("table attempts, host ", s.host, " source ", s.source)));
    out.push_back(std::move(s));
  }
  return out;
}

absl::StatusOr<std::vector<HostAttemptTotals>> SqliteStore::AttemptTotalsSince(
    const std::string& host, int64_t since) {
  Statement q(db_, path_,
              host.empty() ? std::string("summing attempt reports")
                           : absl::StrCat("summing attempt reports of host ", host));
  RETURN_IF_ERROR(q.Prepare(
      "SELECT r.host, COUNT(*), SUM(r.refused), SUM(r.sasl_failures), SUM(r.relayed), "
      "SUM(r.lines), SUM(r.unknown_lines), MAX(r.period_end), "
      "(SELECT n.log_source FROM attempt_reports n WHERE n.host = r.host ORDER BY n.period_end "
      "DESC, n.seq DESC LIMIT 1) "
      "FROM attempt_reports r WHERE (? = '' OR r.host = ?) AND r.period_end >= ? "
      "GROUP BY r.host ORDER BY r.host"));
  q.Bind(host, host, since);
  std::vector<HostAttemptTotals> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    HostAttemptTotals t;
    t.host = q.Text(0);
    t.reports = FromSql(q.Int64(1));
    t.refused = FromSql(q.Int64(2));
    t.sasl_failures = FromSql(q.Int64(3));
    t.relayed = FromSql(q.Int64(4));
    t.lines = FromSql(q.Int64(5));
    t.unknown_lines = FromSql(q.Int64(6));
    t.last_period_end = q.Int64(7);
    t.log_source = q.Text(8);
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace relayguard::controller
