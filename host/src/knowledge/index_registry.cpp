#include "knowledge/index_registry.hpp"

#include <unistd.h>

namespace sloth::knowledge {

IndexRegistry::IndexRegistry(std::size_t exact_limit)
    : indexes_(exact_limit),
      host_id_(std::to_string(getpid()) + "-" +
               std::to_string(reinterpret_cast<std::uintptr_t>(this))) {}

void IndexRegistry::Start(const std::string& database_url) {
  if (database_url.empty() || listener_) return;
  listener_ = std::make_unique<db::Listener>(database_url, 5);
  listener_->Subscribe(kKnowledgeChannel, [this](const std::string&, const std::string& payload) {
    if (payload.empty()) {  // reconnected: changes may have been missed
      indexes_.InvalidateAll();
      return;
    }
    // "tenant:host" is a change of chunks: every host catches up, this one too (it applied
    // its change before the commit, so a catch-up since may have undone part of it, and a
    // rollback leaves what it applied behind). "tenant" alone is a rebuild: drop.
    const auto colon = payload.find(':');
    try {
      const auto tenant = std::stoll(payload.substr(0, colon));
      if (colon == std::string::npos) {
        indexes_.Invalidate(tenant);
      } else {
        indexes_.Changed(tenant);
      }
    } catch (const std::exception&) {
      indexes_.InvalidateAll();  // a payload we cannot read: be safe
    }
  });
  listener_->Start();
}

void IndexRegistry::Stop() {
  if (listener_) listener_->Stop();
}

void IndexRegistry::AnnounceChange(db::Transaction& tx, std::int64_t tenant) {
  db::Notify(tx, kKnowledgeChannel, std::to_string(tenant) + ":" + host_id_);
}

void IndexRegistry::AnnounceRebuild(db::Transaction& tx, std::int64_t tenant) {
  // A search between now and the commit could cache an index without the new vectors, so
  // this host drops its index too, both now and (no host id in the payload) after the commit.
  indexes_.Invalidate(tenant);
  db::Notify(tx, kKnowledgeChannel, std::to_string(tenant));
}

}  // namespace sloth::knowledge
