// The conversation repository's find-or-create against a real database.

#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "conversations/conversation_repository.hpp"
#include "support/test_db.hpp"
#include "support/wait.hpp"

namespace sloth::conversations {
namespace {

constexpr const char* kIntegration = "6f0c1a52-4d6e-4c1f-9a43-0b7e2f0d9c11";

std::int64_t Open(db::Pool& pool, db::TenantId tenant, const std::string& chat, bool& created) {
  return pool.InTenant(tenant, [&](db::Transaction& tx) {
    return ConversationRepository().OpenConversation(tx, "telegram", kIntegration, chat, "Anna",
                                                     "uk", created);
  });
}

// A new chat's conversation is created, a returning client's found, each in one statement.
TEST(ConversationsTest, AChatsConversationIsCreatedOnceAndFoundInOneRoundTrip) {
  testing::MigratedDatabase db;
  const auto tenant = db.CreateTenant("Salon");
  bool created = false;
  const auto first = Open(db.pool(), tenant, "42", created);
  EXPECT_TRUE(created);
  const auto before = db::Connection::RoundTrips();
  const auto again = Open(db.pool(), tenant, "42", created);
  // BEGIN, the scope and the statement, then the COMMIT: two, not three.
  EXPECT_EQ(db::Connection::RoundTrips() - before, 2u);
  EXPECT_FALSE(created);
  EXPECT_EQ(again, first);
  EXPECT_NE(Open(db.pool(), tenant, "43", created), first);
  EXPECT_TRUE(created);
}

// Created by another transaction that commits while this one waits on the conflict: the
// statement's snapshot sees neither row, so the conversation is read again, not lost.
TEST(ConversationsTest, AConversationCreatedConcurrentlyIsFoundAfterTheConflict) {
  testing::MigratedDatabase db(6);
  const auto tenant = db.CreateTenant("Salon");
  auto other = db.pool().Acquire();
  other->Exec("BEGIN");
  other->Exec("SELECT set_config('search_path', $1, true)", tenant.Schema() + ", public");
  const auto theirs =
      other
          ->Exec(
              "INSERT INTO conversations (source, integration_id, external_chat_id) VALUES "
              "('telegram', $1::uuid, '7') RETURNING id",
              kIntegration)
          .Int(0, 0);
  const auto other_pid = other->Exec("SELECT pg_backend_pid()").Int(0, 0);
  bool created = true;
  auto mine = std::async(std::launch::async, [&] { return Open(db.pool(), tenant, "7", created); });
  // Wait until this side is blocked on the other's uncommitted row.
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return db.pool().InTransaction([&](db::Transaction& tx) {
          return tx.Exec(
                       "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid <> $1 AND "
                       "locktype = 'transactionid'",
                       other_pid)
                     .Int(0, 0) > 0;
        });
      },
      std::chrono::seconds(10)));
  other->Exec("COMMIT");
  EXPECT_EQ(mine.get(), theirs);
  EXPECT_FALSE(created);
}

}  // namespace
}  // namespace sloth::conversations
