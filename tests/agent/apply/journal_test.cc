#include "agent/apply/journal.h"

#include <gtest/gtest.h>

namespace relayguard::agent {
namespace {

TEST(JournalTest, RoundTrips) {
  JournalEntry e{"apply", "reload", "0123abcd", "no-open-relay", 3, true, 42, 1700000000};
  absl::StatusOr<JournalEntry> parsed = ParseJournal(SerializeJournal(e));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, e);
}

TEST(JournalTest, TornJournalIsRefused) {
  std::string text = SerializeJournal({"apply", "reload", "0123abcd", "p", 1, false, 1, 1});
  EXPECT_FALSE(ParseJournal(text.substr(0, text.size() - 6)).ok());
  EXPECT_FALSE(ParseJournal("action=apply\nbogus=1\nend=1\n").ok());
  EXPECT_FALSE(ParseJournal("").ok());
}

}  // namespace
}  // namespace relayguard::agent
