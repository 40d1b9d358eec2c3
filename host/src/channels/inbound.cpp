#include "channels/inbound.hpp"

#include <sodium.h>

#include <cctype>
#include <set>

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

StoreResult Inbound::Store(const integrations::Integration& in, const nlohmann::json& events) {
  nlohmann::json list = events.is_array() ? events : nlohmann::json::array({events});
  for (auto& e : list) {
    if (e.is_object() && e.contains("photo") && e["photo"].is_object()) StoreMedia(in, e);
  }
  StoreResult out;
  ConversationRepository conversations;
  pool_.InTenant(db::TenantId{in.tenant_id}, [&](db::Transaction& tx) {
    out = {};
    std::set<std::string> chats;
    for (const auto& e : list) {
      const std::string type = TextOf(e, "type");
      const std::string chat = TextOf(e, "chat_id");
      std::string id = TextOf(e, "message_id");
      const bool known =
          type == "message" || type == "edited" || type == "callback" || type == "status";
      if (!known || id.empty() || id.size() > 200 || chat.size() > 255 ||
          (type != "status" && chat.empty())) {
        ++out.ignored;
        spdlog::warn("channels: {} {}: ignored an event of type '{}' without chat or id",
                     in.plugin_id, in.id, type);
        continue;
      }
      // A status is an update of one of our sent messages: deduplicated per (id, status).
      if (type == "status") id += ":" + TextOf(e, "status");
      const auto stored = conversations.InsertEvent(tx, in.id, id, chat, type, e);
      if (!stored) {
        ++out.duplicates;
        continue;
      }
      ++out.stored;
      if (e.contains("photo") && e["photo"].contains("storage_key")) {
        const auto size = e["photo"].value("size", std::uint64_t{0});
        // Checked before the photo was stored; a race with an upload can still fill the
        // quota first: the photo is then kept uncounted until its retention ends.
        if (const auto r = billing::UsageMeter().TryConsume(tx, in.tenant_id, "storage_mb",
                                                            billing::MegabytesOf(size)))
          spdlog::info("channels: a photo of {} went over the storage quota: {}", in.id,
                       r->message);
      }
      if (type == "status") {
        const std::string status = TextOf(e, "status");
        const bool known_status =
            status == "sent" || status == "delivered" || status == "read" || status == "failed";
        if (known_status)
          conversations.ApplyDeliveryStatus(tx, TextOf(e, "message_id"), status,
                                            TextOf(e, "error"));
        conversations.MarkEventsProcessed(tx, {*stored});
        continue;
      }
      chats.insert(chat);
    }
    // One job per chat with new messages; the burst window lets a quick sequence of
    // messages from one chat be answered together.
    jobs::EnqueueOptions o;
    o.queue = "channels";
    o.tenant_id = in.tenant_id;
    o.delay = burst_window_;
    for (const auto& chat : chats) {
      jobs::Enqueue(tx, "channels.process", {{"integration_id", in.id}, {"chat_id", chat}}, o);
    }
    if (out.stored > 0) integrations::IntegrationRepository().AddReceived(tx, in.id, out.stored);
  });
  return out;
}

}  // namespace sloth::channels
