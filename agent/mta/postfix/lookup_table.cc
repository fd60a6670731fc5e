// The vocabulary of lookup_table.h: which restriction looks up what, and which results permit.
// Readers: lookup_table_reader.cc; the judgement of entries: table_judge.cc.
#include "agent/mta/postfix/lookup_table.h"

#include <algorithm>
#include <cstddef>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "agent/mta/postfix/table_text.h"

namespace relayguard::agent::postfix {
namespace {

struct RestrictionKind {
  absl::string_view name;
  LookupKind kind;
};

constexpr RestrictionKind kRestrictionKinds[] = {
    {"check_client_access", LookupKind::kClient},
    {"check_client_a_access", LookupKind::kDnsDerived},
    {"check_client_mx_access", LookupKind::kDnsDerived},
    {"check_client_ns_access", LookupKind::kDnsDerived},
    {"check_reverse_client_hostname_access", LookupKind::kDnsDerived},
    {"check_reverse_client_hostname_a_access", LookupKind::kDnsDerived},
    {"check_reverse_client_hostname_mx_access", LookupKind::kDnsDerived},
    {"check_reverse_client_hostname_ns_access", LookupKind::kDnsDerived},
    {"check_sender_access", LookupKind::kSender},
    {"check_sender_a_access", LookupKind::kSender},
    {"check_sender_mx_access", LookupKind::kSender},
    {"check_sender_ns_access", LookupKind::kSender},
    {"check_helo_access", LookupKind::kHelo},
    {"check_helo_a_access", LookupKind::kHelo},
    {"check_helo_mx_access", LookupKind::kHelo},
    {"check_helo_ns_access", LookupKind::kHelo},
    {"check_recipient_access", LookupKind::kRecipient},
    {"check_recipient_a_access", LookupKind::kDnsDerived},
    {"check_recipient_mx_access", LookupKind::kDnsDerived},
    {"check_recipient_ns_access", LookupKind::kDnsDerived},
};

// Results smtpd's check_table_result() acts on by their first word; none of them grants.
constexpr absl::string_view kNonGrantingActions[] = {
    "REJECT",
    "DEFER",
    "DEFER_IF_REJECT",
    "DEFER_IF_PERMIT",
    "DUNNO",
    "HANGUP",
    "INFO",
    "WARN",
    "FILTER",
    "HOLD",
    "DELAY",
    "DISCARD",
    "REDIRECT",
    "BCC",
    "PREPEND",
};

// Restrictions that end the list for a relay attempt without permitting it.
constexpr absl::string_view kFinalRefusals[] = {
    "reject",
    "defer",
    "defer_if_permit",
    "reject_unauth_destination",
    "defer_unauth_destination",
    "check_relay_domains",
};

bool AllDigits(absl::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
}

// The elements of a restriction list in a table result, split at commas and whitespace outside
// braces (Postfix's argv_splitq with "{}").
std::vector<absl::string_view> RestrictionElements(absl::string_view list) {
  constexpr absl::string_view kSeparators = ", \t\r\n";
  std::vector<absl::string_view> out;
  size_t i = 0;
  while (i < list.size()) {
    if (kSeparators.find(list[i]) != absl::string_view::npos) {
      ++i;
      continue;
    }
    const size_t start = i;
    int level = 0;
    for (; i < list.size(); ++i) {
      if (list[i] == '{') {
        ++level;
      } else if (list[i] == '}' && level > 0) {
        --level;
      } else if (level == 0 && kSeparators.find(list[i]) != absl::string_view::npos) {
        break;
      }
    }
    out.push_back(list.substr(start, i - start));
  }
  return out;
}

}  // namespace

LookupKind LookupKindOf(absl::string_view restriction) {
  for (const RestrictionKind& entry : kRestrictionKinds) {
    if (absl::EqualsIgnoreCase(restriction, entry.name)) return entry.kind;
  }
  return LookupKind::kOther;
}

bool IsPermitAction(absl::string_view action) {
  const absl::string_view value = TrimTableSpace(action);
  // "In the dark ages, an empty right-hand side meant OK" (smtpd_check.c): it still does.
  if (value.empty()) return true;
  const absl::string_view command = value.substr(0, value.find_first_of(" \t"));
  for (absl::string_view keyword : kNonGrantingActions) {
    if (absl::EqualsIgnoreCase(command, keyword)) return false;
  }
  if (AllDigits(value)) return true;  // pop-before-smtp style time stamps mean OK
  if (command.size() == 3 && (command[0] == '4' || command[0] == '5') && AllDigits(command)) {
    return false;  // "550 text"
  }
  if (absl::EqualsIgnoreCase(command, "OK") ||
      absl::EqualsIgnoreCase(command, "RELAY")) {
    return true;
  }
  // Postfix refuses a lookup table inside an access table result (server error).
  if (value.find(':') != absl::string_view::npos) return false;
  const std::vector<absl::string_view> elements = RestrictionElements(value);
  for (size_t i = 0; i < elements.size(); ++i) {
    const std::string element = absl::AsciiStrToLower(elements[i]);
    if (element == "permit") return true;
    if (element == "warn_if_reject") {
      ++i;  // the next restriction only warns instead of refusing
      continue;
    }
    if (std::find(std::begin(kFinalRefusals), std::end(kFinalRefusals), element) !=
        std::end(kFinalRefusals)) {
      return false;
    }
  }
  return false;
}

}  // namespace relayguard::agent::postfix
