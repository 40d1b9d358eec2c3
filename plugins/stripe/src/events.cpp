#include "events.hpp"

namespace stripe {
namespace {

// A string field or "": a field of another type, or a value that is not an object, costs
// the field, not the webhook (found by fuzzing: nlohmann's value() throws on both).
std::string Str(const nlohmann::json& j, const std::string& key) {
  if (!j.is_object()) return "";
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

using json = nlohmann::json;

// A string field, or the id of an expanded object.
std::string Id(const json& obj, const char* key) {
  const auto it = obj.find(key);
  if (it == obj.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("id") && (*it)["id"].is_string()) return (*it)["id"];
  return "";
}

const json* Path(const json& obj, std::initializer_list<const char*> keys) {
  const json* cur = &obj;
  for (const char* k : keys) {
    if (!cur->is_object() || !cur->contains(k)) return nullptr;
    cur = &(*cur)[k];
  }
  return cur;
}

void CopyInt(const json* from, json& data, const char* key) {
  if (from && from->is_number_integer()) data[key] = from->get<std::int64_t>();
}

void PlanOfPrice(const std::string& price, const json& prices, json& data) {
  if (price.empty() || !prices.is_object()) return;
  for (const auto& [plan, ids] : prices.items()) {
    for (const char* cycle : {"monthly", "yearly"}) {
      if (ids.is_object() && Str(ids, cycle) == price) {
        data["plan"] = plan;
        data["cycle"] = cycle;
        return;
      }
    }
  }
}

void Metadata(const json& obj, json& data) {
  const json* md = Path(obj, {"metadata"});
  if (!md || !md->is_object()) return;
  if (md->contains("org_id") && (*md)["org_id"].is_string()) data["tenant_id"] = (*md)["org_id"];
  if (md->contains("plan") && (*md)["plan"].is_string()) data["plan"] = (*md)["plan"];
  if (md->contains("cycle") && (*md)["cycle"].is_string()) data["cycle"] = (*md)["cycle"];
}

}  // namespace

json NormalizeEvent(const json& event, const json& prices) {
  const std::string type = Str(event, "type");
  json out = {{"id", Str(event, "id")}, {"type", type}, {"data", json::object()}};
  const json* objp = Path(event, {"data", "object"});
  if (!objp || !objp->is_object()) return out;
  const json& obj = *objp;
  json& data = out["data"];
  if (!Id(obj, "customer").empty()) data["customer"] = Id(obj, "customer");

  if (type == "checkout.session.completed") {
    const std::string paid = Str(obj, "payment_status");
    if (Str(obj, "mode") != "subscription" || (paid != "paid" && paid != "no_payment_required")) {
      out["type"] = "checkout.session.completed_unpaid";  // the host records and ignores it
      return out;
    }
    data["subscription"] = Id(obj, "subscription");
    if (obj.contains("client_reference_id") && obj["client_reference_id"].is_string())
      data["tenant_id"] = obj["client_reference_id"];
    Metadata(obj, data);
    return out;
  }
  if (type.rfind("customer.subscription.", 0) == 0) {
    data["subscription"] = Id(obj, "id");
    if (obj.contains("status") && obj["status"].is_string()) data["status"] = obj["status"];
    if (obj.contains("cancel_at_period_end") && obj["cancel_at_period_end"].is_boolean())
      data["cancel_at_period_end"] = obj["cancel_at_period_end"];
    CopyInt(Path(obj, {"current_period_start"}), data, "current_period_start");
    CopyInt(Path(obj, {"current_period_end"}), data, "current_period_end");
    Metadata(obj, data);
    if (const json* items = Path(obj, {"items", "data"});
        items && items->is_array() && !items->empty()) {
      const json& item = (*items)[0];
      if (!data.contains("current_period_start"))
        CopyInt(Path(item, {"current_period_start"}), data, "current_period_start");
      if (!data.contains("current_period_end"))
        CopyInt(Path(item, {"current_period_end"}), data, "current_period_end");
      if (const json* price = Path(item, {"price"}); price && price->is_object())
        PlanOfPrice(Str(*price, "id"), prices, data);
    }
    return out;
  }
  if (type.rfind("invoice.", 0) == 0) {
    std::string sub = Id(obj, "subscription");
    if (sub.empty()) {
      if (const json* s = Path(obj, {"parent", "subscription_details", "subscription"});
          s && s->is_string())
        sub = *s;
    }
    data["subscription"] = sub;
    // The service period the invoice pays for is on its line, not on the invoice.
    if (const json* lines = Path(obj, {"lines", "data"});
        lines && lines->is_array() && !lines->empty()) {
      CopyInt(Path((*lines)[0], {"period", "start"}), data, "current_period_start");
      CopyInt(Path((*lines)[0], {"period", "end"}), data, "current_period_end");
    }
    return out;
  }
  return out;
}

}  // namespace stripe
