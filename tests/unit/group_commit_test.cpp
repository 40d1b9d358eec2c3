#include "db/group_commit.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/wait.hpp"

namespace sloth::db {
namespace {

using namespace std::chrono_literals;
using sloth::testing::WaitUntil;

// A write that doubles each item, records the group sizes it saw, and can be held shut so
// callers pile up behind it.
struct Recorder {
  std::mutex mu;
  std::vector<std::size_t> groups;
  std::atomic<bool> open{true};
  std::atomic<int> writes{0};  // begun
  std::vector<int> Write(const std::string&, const std::vector<int*>& items) {
    ++writes;
    while (!open) std::this_thread::yield();
    for (auto* i : items) {
      if (*i < 0) throw std::runtime_error("refused " + std::to_string(*i));
    }
    std::lock_guard lock(mu);
    groups.push_back(items.size());
    std::vector<int> out;
    for (auto* i : items) out.push_back(*i * 2);
    return out;
  }
};

using Commit = GroupCommit<std::string, int, int>;

Commit Make(Recorder& r, std::size_t max) {
  return Commit(
      [&r](const std::string& k, const std::vector<int*>& items) { return r.Write(k, items); },
      max);
}

TEST(GroupCommit, CallersArrivingDuringAWriteShareTheNextOneAndEachGetsItsOwnResult) {
  Recorder r;
  Commit commit = Make(r, 64);
  r.open = false;
  std::vector<int> results(9, 0);
  std::thread first([&] { results[0] = commit.Submit("salon", 0); });
  ASSERT_TRUE(WaitUntil([&] { return r.writes == 1; }, 5s));  // first is writing
  std::vector<std::thread> rest;
  for (int i = 1; i < 9; ++i) rest.emplace_back([&, i] { results[i] = commit.Submit("salon", i); });
  ASSERT_TRUE(WaitUntil([&] { return commit.Waiting("salon") == 8; }, 5s));
  r.open = true;
  first.join();
  for (auto& t : rest) t.join();
  for (int i = 0; i < 9; ++i) EXPECT_EQ(results[i], 2 * i) << i;
  EXPECT_EQ(r.groups, (std::vector<std::size_t>{1, 8}));
  EXPECT_EQ(commit.Counts(), (std::pair<std::size_t, std::size_t>{2, 9}));
}

TEST(GroupCommit, AGroupNeverExceedsItsBoundAndLateArrivalsAreWrittenInOrder) {
  Recorder r;
  Commit commit = Make(r, 3);
  r.open = false;
  std::thread first([&] { commit.Submit("salon", 100); });
  ASSERT_TRUE(WaitUntil([&] { return r.writes == 1; }, 5s));
  std::vector<std::thread> rest;
  for (int i = 1; i <= 7; ++i)
    rest.emplace_back([&, i] { EXPECT_EQ(commit.Submit("salon", i), 2 * i); });
  ASSERT_TRUE(WaitUntil([&] { return commit.Waiting("salon") == 7; }, 5s));
  r.open = true;
  first.join();
  for (auto& t : rest) t.join();
  EXPECT_EQ(r.groups, (std::vector<std::size_t>{1, 3, 3, 1}));
}

TEST(GroupCommit, AnItemThatFailsTheGroupFailsOnlyItsOwnCaller) {
  Recorder r;
  Commit commit = Make(r, 64);
  r.open = false;
  std::thread first([&] { commit.Submit("salon", 1); });
  ASSERT_TRUE(WaitUntil([&] { return r.writes == 1; }, 5s));
  std::atomic<int> refused{0};
  std::vector<int> results(5, 0);
  std::vector<std::thread> rest;
  for (int i = 0; i < 5; ++i) {
    rest.emplace_back([&, i] {
      try {
        results[i] = commit.Submit("salon", i == 2 ? -7 : i + 10);
      } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), "refused -7");
        ++refused;
      }
    });
  }
  ASSERT_TRUE(WaitUntil([&] { return commit.Waiting("salon") == 5; }, 5s));
  r.open = true;
  first.join();
  for (auto& t : rest) t.join();
  EXPECT_EQ(refused.load(), 1);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(results[i], i == 2 ? 0 : 2 * (i + 10)) << i;
  // The first write alone, the group of five refused as a whole, then each of them alone
  // (the refused one records nothing).
  EXPECT_EQ(r.groups, (std::vector<std::size_t>{1, 1, 1, 1, 1}));
}

TEST(GroupCommit, WithTwoWritersASecondGroupOfTheSameKeyIsWrittenWhileTheFirstIs) {
  Recorder r;
  Commit commit(
      [&r](const std::string& k, const std::vector<int*>& items) { return r.Write(k, items); }, 64,
      2);
  r.open = false;
  std::thread a([&] { EXPECT_EQ(commit.Submit("salon", 1), 2); });
  std::thread b([&] { EXPECT_EQ(commit.Submit("salon", 2), 4); });
  ASSERT_TRUE(WaitUntil([&] { return r.writes == 2; }, 5s));  // both in flight at once
  std::thread c([&] { EXPECT_EQ(commit.Submit("salon", 3), 6); });
  ASSERT_TRUE(WaitUntil([&] { return commit.Waiting("salon") == 1; }, 5s));  // a third waits
  r.open = true;
  a.join();
  b.join();
  c.join();
  EXPECT_EQ(r.groups.size(), 3u);
}

TEST(GroupCommit, OneKeysWriteNeverHoldsAnother) {
  std::atomic<bool> open{false};
  std::atomic<bool> slow_writing{false};
  Commit commit(
      [&](const std::string& key, const std::vector<int*>& items) {
        if (key == "slow") slow_writing = true;
        while (key == "slow" && !open) std::this_thread::yield();
        return std::vector<int>(items.size(), 1);
      },
      64);
  std::thread slow([&] { commit.Submit("slow", 1); });
  ASSERT_TRUE(WaitUntil([&] { return slow_writing.load(); }, 5s));
  EXPECT_EQ(commit.Submit("fast", 1), 1);  // returns while "slow" is still writing
  open = true;
  slow.join();
}

}  // namespace
}  // namespace sloth::db
