#pragma once

// Group commit for a hot write path (webhook intake): concurrent callers with the same key
// (a tenant: one transaction has one tenant scope) queue up; the first in line, once fewer
// than `max_writers` groups of that key are in flight, leads: it writes what waits (up to
// `max_group` items) in one transaction: one BEGIN, one set of multi-row statements, one COMMIT and
// one WAL flush for the whole group. Every caller returns only after the transaction holding its
// work committed (or with its own error), so durability before the answer is unchanged. Nothing
// waits on purpose: a group is what arrived while the previous one was being written, so a
// lone caller pays no delay. Different keys never wait on each other.
//
// If a group's write fails, each of its members is written again alone, so one bad item
// (say, a payload PostgreSQL refuses) fails only its own caller.

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace sloth::db {

template <class Key, class Item, class Result>
class GroupCommit {
 public:
  // Writes `items` (all with `key`) in one transaction; returns one result per item, in order.
  using Write = std::function<std::vector<Result>(const Key&, const std::vector<Item*>&)>;

  // At most `max_group` items per group and `max_writers` groups of one key in flight (more
  // than one keeps both the database's cores busy while a group commits).
  GroupCommit(Write write, std::size_t max_group, int max_writers = 1)
      : write_(std::move(write)), max_(max_group), max_writers_(max_writers) {}
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  Result Submit(const Key& key, Item item) {
    Waiter me{std::move(item), std::nullopt, nullptr, false};
    std::unique_lock lock(mu_);
    Lane& lane = lanes_[key];
    lane.waiting.push_back(&me);
    while (!me.done) {
      if (lane.writing >= max_writers_ || lane.waiting.empty() || lane.waiting.front() != &me) {
        cv_.wait(lock);
        continue;
      }
      ++lane.writing;
      const std::size_t n = std::min(lane.waiting.size(), max_);
      std::vector<Waiter*> group(lane.waiting.begin(), lane.waiting.begin() + n);
      lane.waiting.erase(lane.waiting.begin(), lane.waiting.begin() + n);
      if (!lane.waiting.empty()) cv_.notify_all();  // a new first in line may lead too
      lock.unlock();
      WriteGroup(key, group);
      lock.lock();
      for (auto* w : group) w->done = true;
      --lane.writing;
      ++groups_;
      written_ += group.size();
      // Only done waiters reference a lane with nobody waiting, and they no longer touch it.
      if (lane.waiting.empty() && lane.writing == 0) lanes_.erase(key);
      cv_.notify_all();
    }
    if (me.error) std::rethrow_exception(me.error);
    return std::move(*me.result);
  }

  // Items waiting for `key`'s next group (a gauge; tests use it to know a group formed).
  std::size_t Waiting(const Key& key) const {
    std::lock_guard lock(mu_);
    const auto it = lanes_.find(key);
    return it == lanes_.end() ? 0 : it->second.waiting.size();
  }

  // Groups written and items in them since the start (for the benchmark's table).
  std::pair<std::size_t, std::size_t> Counts() const {
    std::lock_guard lock(mu_);
    return {groups_, written_};
  }

 private:
  struct Waiter {
    Item item;
    std::optional<Result> result;
    std::exception_ptr error;
    bool done = false;
  };
  struct Lane {
    std::vector<Waiter*> waiting;
    int writing = 0;  // groups in flight
  };

  void WriteGroup(const Key& key, const std::vector<Waiter*>& group) {
    std::vector<Item*> items;
    for (auto* w : group) items.push_back(&w->item);
    try {
      auto results = write_(key, items);
      for (std::size_t i = 0; i < group.size(); ++i) group[i]->result = std::move(results.at(i));
      return;
    } catch (...) {
      if (group.size() == 1) {
        group[0]->error = std::current_exception();
        return;
      }
    }
    for (auto* w : group) {
      try {
        w->result = std::move(write_(key, {&w->item}).at(0));
      } catch (...) {
        w->error = std::current_exception();
      }
    }
  }

  Write write_;
  const std::size_t max_;
  const int max_writers_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<Key, Lane> lanes_;
  std::size_t groups_ = 0;
  std::size_t written_ = 0;
};

}  // namespace sloth::db
