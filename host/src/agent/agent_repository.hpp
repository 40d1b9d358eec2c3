#pragma once

// The SQL of the agent's own tables (tenant schema, migrations/tenant/0007_agent.sql):
// prompt versions and the supervisor's audit trail.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/prompt.hpp"
#include "db/pool.hpp"

namespace sloth::agent {

class PromptRepository {
 public:
  // The version in force; the built-in default (version 0) when none was saved.
  Prompt Current(db::Transaction& tx);
  db::Query<Prompt> CurrentQuery();
  std::optional<Prompt> Find(db::Transaction& tx, int version);
  // Saves `p` as the next version and returns it as stored. Versions are numbered under a
  // lock, so two concurrent saves get two versions.
  Prompt Save(db::Transaction& tx, const Prompt& p, std::optional<std::int64_t> author,
              int restored_from = 0);
  // Newest first, versions below `before` (0: from the newest).
  std::vector<Prompt> Versions(db::Transaction& tx, int before, int limit);
};

class AuditLog {
 public:
  // `detail` is PII-masked before it is written.
  void Record(db::Transaction& tx, std::optional<std::int64_t> conversation,
              const std::string& event, const std::string& detail);
  struct Entry {
    std::int64_t id = 0;
    std::optional<std::int64_t> conversation_id;
    std::string event, detail, created_at;
  };
  // Newest first, ids below `before` (0: from the newest).
  std::vector<Entry> List(db::Transaction& tx, std::int64_t before, int limit);
};

}  // namespace sloth::agent
