#pragma once

// The one way tests wait: for a condition they can state, checked every `every` until it
// holds or `timeout` passes. The result is what the condition says last, so a test asserts
// the condition itself, never that time went by.

#include <chrono>
#include <thread>

namespace sloth::testing {

template <typename Condition>
bool WaitUntil(Condition&& holds, std::chrono::milliseconds timeout,
               std::chrono::milliseconds every = std::chrono::milliseconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!holds()) {
    if (std::chrono::steady_clock::now() > deadline) return holds();
    std::this_thread::sleep_for(every);
  }
  return true;
}

}  // namespace sloth::testing
