#include "billing/activation_codes.hpp"

#include <sodium.h>

#include "billing/subscription_lifecycle.hpp"
#include "billing/subscription_repository.hpp"
#include "errors/error.hpp"

namespace sloth::billing {
namespace {

constexpr const char* kColumns =
    "id, code, plan_slug, duration_days, public.rfc3339(expires_at), redeemed_by_tenant, "
    "public.rfc3339(redeemed_at)";

ActivationCode Row(const db::Result& r, int i) {
  ActivationCode c;
  c.id = r.Int(i, 0);
  c.code = r.Text(i, 1);
  c.plan = r.Text(i, 2);
  c.duration_days = static_cast<int>(r.Int(i, 3));
  c.expires_at = r.OptText(i, 4);
  if (!r.IsNull(i, 5)) c.redeemed_by_tenant = r.Int(i, 5);
  c.redeemed_at = r.OptText(i, 6);
  return c;
}

// XXXX-XXXX-XXXX from an alphabet without look-alikes (no 0/O, 1/I/L): 60 random bits.
std::string NewCode() {
  static const char* alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
  std::string out;
  for (int i = 0; i < 12; ++i) {
    if (i && i % 4 == 0) out += '-';
    out += alphabet[randombytes_uniform(31)];
  }
  return out;
}

}  // namespace

std::vector<ActivationCode> ActivationCodes::Generate(db::Transaction& tx, const std::string& plan,
                                                      int duration_days,
                                                      const std::optional<std::string>& expires_at,
                                                      int count, std::int64_t created_by) {
  std::vector<ActivationCode> out;
  for (int i = 0; i < count; ++i) {
    auto r =
        tx.Exec(std::string("INSERT INTO public.activation_codes (code, plan_slug, duration_days, "
                            "expires_at, created_by) VALUES ($1, $2, $3, $4::timestamptz, $5) "
                            "ON CONFLICT (code) DO NOTHING RETURNING ") +
                    kColumns,
                NewCode(), plan, duration_days, expires_at, created_by);
    if (r.Empty()) {
      --i;  // a 60-bit collision: draw again
      continue;
    }
    out.push_back(Row(r, 0));
  }
  return out;
}

std::vector<ActivationCode> ActivationCodes::List(db::Transaction& tx, int limit,
                                                  std::int64_t after_id) {
  auto r = tx.Exec(std::string("SELECT ") + kColumns +
                       " FROM public.activation_codes WHERE id > $1 ORDER BY id LIMIT $2",
                   after_id, limit);
  std::vector<ActivationCode> out;
  for (int i = 0; i < r.Rows(); ++i) out.push_back(Row(r, i));
  return out;
}

std::optional<std::string> ActivationCodes::Redeem(db::Transaction& tx, const std::string& code,
                                                   std::int64_t tenant_id, Lifecycle& lifecycle) {
  lifecycle.Lock(tx, tenant_id);  // the row stays locked: a checkout cannot land in between
  const auto sub = SubscriptionRepository().Find(tx, tenant_id);
  if (sub && sub->provider &&
      (sub->status == "active" || sub->status == "past_due" || sub->status == "trialing")) {
    throw errors::Error(errors::Code::kConflict,
                        "the organisation pays through a subscription; cancel it before "
                        "redeeming a code",
                        "code");
  }
  auto r = tx.Exec(
      "UPDATE public.activation_codes SET redeemed_by_tenant = $2, redeemed_at = now() "
      "WHERE code = upper($1) AND redeemed_at IS NULL AND (expires_at IS NULL OR expires_at > "
      "now()) RETURNING plan_slug, duration_days",
      code, tenant_id);
  if (r.Empty()) return std::nullopt;
  const std::string plan = r.Text(0, 0);
  lifecycle.ActivateForTerm(tx, tenant_id, plan, static_cast<int>(r.Int(0, 1)),
                            "activation code redeemed");
  return plan;
}

}  // namespace sloth::billing
