#include "channels/inbound.hpp"

#include <sodium.h>

#include <cctype>
#include <map>
#include <set>
#include <utility>

#include <spdlog/spdlog.h>

#include "billing/usage.hpp"
#include "conversations/conversation_repository.hpp"
#include "errors/error.hpp"
#include "jobs/job_queue.hpp"
#include "json/json_read.hpp"
#include "knowledge/parsers.hpp"

namespace sloth::channels {

using conversations::ConversationRepository;
using json_read::TextOf;

namespace {

// PostgreSQL's text and jsonb cannot hold U+0000; a client can still type it. Refusing the
// event would have the provider redeliver it forever, so it becomes U+FFFD like any other
// character that cannot be shown.
void ReplaceNul(nlohmann::json& j) {
  if (j.is_string()) {
    auto& s = j.get_ref<std::string&>();
    for (std::size_t at = s.find('\0'); at != std::string::npos; at = s.find('\0', at + 3))
      s.replace(at, 1, "\xEF\xBF\xBD");
  } else if (j.is_structured()) {
    for (auto& v : j) ReplaceNul(v);
  }
}

}  // namespace

void Inbound::StoreMedia(const integrations::Integration& in, nlohmann::json& e) {
  auto& photo = e["photo"];
  const std::string b64 = photo.value("data_base64", "");
  photo.erase("data_base64");
  if (b64.empty()) return;
  std::string data(b64.size(), '\0');
  std::size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(data.data()), data.size(), b64.data(),
                        b64.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    photo["error"] = "the plugin sent malformed base64";
    return;
  }
  data.resize(len);
  const std::string format = knowledge::DetectFormat(std::string_view(data).substr(0, 64), "");
  if (format != "jpeg" && format != "png" && format != "webp") {
    photo["error"] = "not a JPEG, PNG or WebP image";
    return;
  }
  std::string id = TextOf(e, "message_id");
  for (char& c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
  }
  const std::string key =
      std::to_string(in.tenant_id) + "/inbound/" + in.id + "/" + id.substr(0, 100) + "." + format;
  // A client's photos count against the salon's storage like its uploads (Store counts
  // them); a full quota keeps the message and drops the photo.
  try {
    pool_.InTenant(db::TenantId{in.tenant_id}, [&](db::Transaction& tx) {
      billing::UsageMeter().Check(tx, in.tenant_id, "storage_mb",
                                  billing::MegabytesOf(data.size()));
    });
  } catch (const errors::Error& refused) {
    photo["error"] = std::string("not stored: ") + refused.what();
    return;
  }
  try {
    blobs_.Put(key, data, "image/" + format);
    photo["storage_key"] = key;
    photo["content_type"] = "image/" + format;
    photo["size"] = data.size();
  } catch (const std::exception& ex) {
    photo["error"] = std::string("not stored: ") + ex.what();
    spdlog::warn("channels: a photo from {} was not stored: {}", in.id, ex.what());
  }
}

Inbound::Inbound(db::Pool& pool, std::chrono::milliseconds burst_window, storage::BlobStore& blobs)
    : pool_(pool),
      burst_window_(burst_window),
      blobs_(blobs),
      group_([this](std::int64_t tenant,
                    const std::vector<Delivery*>& deliveries) { return Write(tenant, deliveries); },
             kMaxGroup) {}

StoreResult Inbound::Store(const integrations::Integration& in, const nlohmann::json& events) {
  Delivery d{&in, events.is_array() ? events : nlohmann::json::array({events})};
  for (auto& e : d.events) {
    if (e.is_object() && e.contains("photo") && e["photo"].is_object()) StoreMedia(in, e);
    ReplaceNul(e);
  }
  return group_.Submit(in.tenant_id, std::move(d));
}

std::vector<StoreResult> Inbound::Write(std::int64_t tenant,
                                        const std::vector<Delivery*>& deliveries) {
  ConversationRepository conversations;
  return pool_.InTenant(db::TenantId{tenant}, [&](db::Transaction& tx) {
    std::vector<StoreResult> out(deliveries.size());
    struct Candidate {
      std::size_t delivery;
      const nlohmann::json* event;
    };
    std::vector<ConversationRepository::NewEvent> rows;
    std::vector<Candidate> candidates;
    std::set<std::pair<std::string, std::string>> keys;  // a redelivery within the group
    for (std::size_t d = 0; d < deliveries.size(); ++d) {
      const auto& in = *deliveries[d]->integration;
      for (const auto& e : deliveries[d]->events) {
        const std::string type = TextOf(e, "type");
        const std::string chat = TextOf(e, "chat_id");
        std::string id = TextOf(e, "message_id");
        const bool known =
            type == "message" || type == "edited" || type == "callback" || type == "status";
        if (!known || id.empty() || id.size() > 200 || chat.size() > 255 ||
            (type != "status" && chat.empty())) {
          ++out[d].ignored;
          spdlog::warn("channels: {} {}: ignored an event of type '{}' without chat or id",
                       in.plugin_id, in.id, type);
          continue;
        }
        // A status is an update of one of our sent messages: deduplicated per (id, status).
        if (type == "status") id += ":" + TextOf(e, "status");
        if (!keys.insert({in.id, id}).second) {
          ++out[d].duplicates;
          continue;
        }
        rows.push_back({in.id, id, chat, type, e.dump()});
        candidates.push_back({d, &e});
      }
    }
    const auto ids = conversations.InsertEvents(tx, rows);
    std::map<std::string, int> received;                  // per integration
    std::set<std::pair<std::string, std::string>> chats;  // (integration, chat) with news
    std::vector<std::int64_t> statuses;
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      const auto& [d, event] = candidates[i];
      const auto& in = *deliveries[d]->integration;
      const auto& e = *event;
      if (!ids[i]) {
        ++out[d].duplicates;
        continue;
      }
      ++out[d].stored;
      ++received[in.id];
      if (e.contains("photo") && e["photo"].contains("storage_key")) {
        const auto size = e["photo"].value("size", std::uint64_t{0});
        // Checked before the photo was stored; a race with an upload can still fill the
        // quota first: the photo is then kept uncounted until its retention ends.
        if (const auto r = billing::UsageMeter().TryConsume(tx, in.tenant_id, "storage_mb",
                                                            billing::MegabytesOf(size)))
          spdlog::info("channels: a photo of {} went over the storage quota: {}", in.id,
                       r->message);
      }
      if (rows[i].type == "status") {
        const std::string status = TextOf(e, "status");
        const bool known_status =
            status == "sent" || status == "delivered" || status == "read" || status == "failed";
        if (known_status)
          conversations.ApplyDeliveryStatus(tx, TextOf(e, "message_id"), status,
                                            TextOf(e, "error"));
        statuses.push_back(*ids[i]);
        continue;
      }
      chats.insert({in.id, rows[i].chat_id});
    }
    if (!statuses.empty()) conversations.MarkEventsProcessed(tx, statuses);
    // One job per chat with new messages; the burst window lets a quick sequence of
    // messages from one chat be answered together. Each goes with the COMMIT (one statement
    // per job, planned once, rather than one over an array that PostgreSQL plans every time).
    jobs::EnqueueOptions o;
    o.queue = "channels";
    o.tenant_id = tenant;
    o.delay = burst_window_;
    for (const auto& [integration, chat] : chats)
      jobs::EnqueueAtCommit(tx, "channels.process",
                            {{"integration_id", integration}, {"chat_id", chat}}, o);
    for (const auto& [integration, n] : received)
      integrations::IntegrationRepository().AddReceived(tx, integration, n);
    return out;
  });
}

}  // namespace sloth::channels
