#include "accounts/session_cache.hpp"

#include <gtest/gtest.h>

namespace sloth::accounts {
namespace {

using namespace std::chrono_literals;

struct FakeClock {
  SessionCache::Clock::time_point now{std::chrono::hours(1)};
  std::function<SessionCache::Clock::time_point()> Fn() {
    return [this] { return now; };
  }
};

TEST(SessionCache, ALiveSessionIsRememberedForTheTtlFromWhenItWasChecked) {
  FakeClock clock;
  SessionCache cache(1000ms, 100, clock.Fn());
  EXPECT_FALSE(cache.IsLive(1, "s1"));
  const auto sent = clock.now;
  clock.now += 20ms;  // the answer came 20 ms after the check was sent
  cache.RememberLive(1, 7, "s1", sent);
  EXPECT_TRUE(cache.IsLive(1, "s1"));
  EXPECT_FALSE(cache.IsLive(2, "s1"));  // another user's token naming the same session
  EXPECT_FALSE(cache.IsLive(1, "s2"));
  clock.now = sent + 999ms;
  EXPECT_TRUE(cache.IsLive(1, "s1"));
  clock.now = sent + 1000ms;
  EXPECT_FALSE(cache.IsLive(1, "s1"));
}

TEST(SessionCache, ForgettingRefusesAtOnceAndOutrunsChecksSentBeforeIt) {
  FakeClock clock;
  SessionCache cache(1000ms, 100, clock.Fn());
  auto remember = [&](std::int64_t user, std::int64_t tenant, const std::string& s) {
    cache.RememberLive(user, tenant, s, clock.now);
  };
  remember(1, 7, "a");
  remember(1, 7, "b");
  remember(2, 7, "c");
  remember(3, 8, "d");
  clock.now += 1ms;
  cache.ForgetSession("a");
  EXPECT_FALSE(cache.IsLive(1, "a"));
  EXPECT_TRUE(cache.IsLive(1, "b"));
  cache.ForgetUser(1);
  EXPECT_FALSE(cache.IsLive(1, "b"));
  EXPECT_TRUE(cache.IsLive(2, "c"));
  cache.ForgetTenant(7);
  EXPECT_FALSE(cache.IsLive(2, "c"));
  EXPECT_TRUE(cache.IsLive(3, "d"));
  // A check sent before the forgetting may have read the row it replaced: not remembered.
  const auto before = clock.now - 1ms;
  cache.RememberLive(1, 7, "b", before);
  EXPECT_FALSE(cache.IsLive(1, "b"));
  clock.now += 1ms;
  remember(1, 7, "b");
  EXPECT_TRUE(cache.IsLive(1, "b"));
}

TEST(SessionCache, OffAtZeroAndBoundedInSize) {
  FakeClock clock;
  SessionCache off(0ms, 100, clock.Fn());
  off.RememberLive(1, 7, "a", clock.now);
  EXPECT_FALSE(off.IsLive(1, "a"));

  SessionCache small(1000ms, 3, clock.Fn());
  for (int i = 0; i < 10; ++i) {
    small.RememberLive(i, 7, "s" + std::to_string(i), clock.now);
    EXPECT_TRUE(small.IsLive(i, "s" + std::to_string(i)));
  }
  int live = 0;
  for (int i = 0; i < 10; ++i) live += small.IsLive(i, "s" + std::to_string(i));
  EXPECT_LE(live, 3);
  EXPECT_GE(live, 1);
}

}  // namespace
}  // namespace sloth::accounts
