#include "agent/agent_repository.hpp"

#include "privacy/pii.hpp"

namespace sloth::agent {
namespace {

constexpr const char* kColumns =
    "version, role, instructions, context, temperature::float8 AS temperature, max_tokens, "
    "to_json(refused_topics)::text AS refused_topics, coalesce(restored_from, 0) AS "
    "restored_from, public.rfc3339(created_at) AS created_at";

Prompt Read(const db::Row& r) {
  Prompt p;
  p.version = static_cast<int>(r.Int("version"));
  p.role = r.Text("role");
  p.instructions = r.Text("instructions");
  p.context = r.Text("context");
  p.temperature = r.Double("temperature");
  p.max_tokens = static_cast<int>(r.Int("max_tokens"));
  p.refused_topics =
      nlohmann::json::parse(r.Text("refused_topics")).get<std::vector<std::string>>();
  p.restored_from = static_cast<int>(r.Int("restored_from"));
  p.created_at = r.Text("created_at");
  return p;
}

}  // namespace

Prompt PromptRepository::Current(db::Transaction& tx) {
  return tx.Exec(CurrentQuery());
}

db::Query<Prompt> PromptRepository::CurrentQuery() {
  static const std::string sql =
      std::string("SELECT ") + kColumns + " FROM agent_prompts ORDER BY version DESC LIMIT 1";
  return db::MakeQuery<Prompt>(
      [](const db::Result& r) { return r.Empty() ? Prompt{} : Read(r.At(0)); }, sql);
}

std::optional<Prompt> PromptRepository::Find(db::Transaction& tx, int version) {
  auto r = tx.Exec(std::string("SELECT ") + kColumns + " FROM agent_prompts WHERE version = $1",
                   version);
  if (r.Empty()) return std::nullopt;
  return Read(r.At(0));
}

Prompt PromptRepository::Save(db::Transaction& tx, const Prompt& p,
                              std::optional<std::int64_t> author, int restored_from) {
  tx.Exec("LOCK TABLE agent_prompts IN SHARE ROW EXCLUSIVE MODE");
  auto r = tx.Exec(
      std::string("INSERT INTO agent_prompts (version, role, instructions, context, temperature, "
                  "max_tokens, refused_topics, author_id, restored_from) SELECT "
                  "coalesce(max(version), 0) + 1, $1, $2, $3, $4, $5, $6::text[], $7, "
                  "nullif($8, 0) FROM agent_prompts RETURNING ") +
          kColumns,
      p.role, p.instructions, p.context, p.temperature, p.max_tokens, p.refused_topics, author,
      restored_from);
  return Read(r.At(0));
}

std::vector<Prompt> PromptRepository::Versions(db::Transaction& tx, int before, int limit) {
  auto r = tx.Exec(std::string("SELECT ") + kColumns +
                       " FROM agent_prompts WHERE ($1 = 0 OR version < $1) ORDER BY version DESC "
                       "LIMIT $2",
                   before, limit);
  std::vector<Prompt> out;
  for (int i = 0; i < r.Rows(); ++i) out.push_back(Read(r.At(i)));
  return out;
}

void AuditLog::Record(db::Transaction& tx, std::optional<std::int64_t> conversation,
                      const std::string& event, const std::string& detail) {
  tx.Exec(
      "INSERT INTO agent_audit (conversation_id, event, detail) VALUES ($1, $2, left($3, 4000))",
      conversation, event, privacy::MaskPii(detail));
}

std::vector<AuditLog::Entry> AuditLog::List(db::Transaction& tx, std::int64_t before, int limit) {
  auto r = tx.Exec(
      "SELECT id, conversation_id, event, coalesce(detail, '') AS detail, "
      "public.rfc3339(created_at) AS created_at FROM agent_audit WHERE ($1 = 0 OR id < $1) "
      "ORDER BY id DESC LIMIT $2",
      before, limit);
  std::vector<Entry> out;
  for (int i = 0; i < r.Rows(); ++i) {
    const auto row = r.At(i);
    Entry e;
    e.id = row.Int("id");
    if (!row.IsNull("conversation_id")) e.conversation_id = row.Int("conversation_id");
    e.event = row.Text("event");
    e.detail = row.Text("detail");
    e.created_at = row.Text("created_at");
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace sloth::agent
