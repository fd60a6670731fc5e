// Test support for the store's tests: a raw second connection to inspect or tamper with the
// database file, and a fixture that opens a store on a fresh file in a temp dir.
#ifndef RELAYGUARD_TESTS_CONTROLLER_STORE_STORE_TEST_FIXTURE_H_
#define RELAYGUARD_TESTS_CONTROLLER_STORE_STORE_TEST_FIXTURE_H_

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "controller/store/sqlite_store.h"

namespace relayguard::controller {

// Runs SQL on a second, raw connection to inspect or tamper with the file behind the store.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  void Exec(const std::string& sql) {
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
        << sql << ": " << (err ? err : "");
    sqlite3_free(err);
  }
  // Makes every `event` ("INSERT", "UPDATE" or "DELETE") on `table` fail with `message` (a
  // trigger), so that a store write can be seen to fail midway.
  void FailEvery(const std::string& event, const std::string& table, const std::string& message) {
    Exec("CREATE TRIGGER rg_fail_" + event + "_" + table + " BEFORE " + event + " ON " + table +
         " BEGIN SELECT RAISE(ABORT, '" + message + "'); END");
  }
  // Undoes FailEvery(event, table, ...).
  void StopFailing(const std::string& event, const std::string& table) {
    Exec("DROP TRIGGER rg_fail_" + event + "_" + table);
  }
  // The first column of the first row, as text; "" when there is no row.
  std::string Query(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
    std::string out;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      if (text != nullptr) out = reinterpret_cast<const char*>(text);
    }
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rg-store-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/controller.db";
    PrepareFile();
    Reopen();
  }
  // Runs before the store first opens path_ (e.g. to put an old database there).
  virtual void PrepareFile() {}
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();  // close first: one connection per file in these tests
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  std::string dir_;
  std::string path_;
  std::unique_ptr<SqliteStore> store_;
};

}  // namespace relayguard::controller

#endif  // RELAYGUARD_TESTS_CONTROLLER_STORE_STORE_TEST_FIXTURE_H_
