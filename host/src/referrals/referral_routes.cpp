#include "referrals/referral_routes.hpp"

#include "accounts/account_repository.hpp"
#include "api/validation.hpp"
#include "errors/error.hpp"
#include "referrals/referrals.hpp"

namespace sloth::referrals {

void AddRoutes(api::Api& api, std::string public_url) {
  api.Add("GET", "/api/referrals/my-code", api::Access::kTenant, [public_url](api::Context& ctx) {
    const auto user = accounts::AccountRepository().FindUser(ctx.tx, ctx.user().user_id);
    if (!user) throw errors::Error::NotFound("no such user");
    const std::string code = user->referral_code;
    nlohmann::json link = nullptr;
    if (!public_url.empty()) link = public_url + "/register?ref=" + code;
    return http::Response::Json(200, {{"code", code}, {"link", link}});
  });

  api.Add("GET", "/api/referrals/stats", api::Access::kTenant, [](api::Context& ctx) {
    const Stats s = Referrals().StatsFor(ctx.tx, ctx.tenant());
    nlohmann::json rewards = nlohmann::json::array();
    for (const auto& w : s.rewards) {
      rewards.push_back({{"threshold", w.threshold},
                         {"active_count", w.active_count},
                         {"old_plan", w.old_plan},
                         {"new_plan", w.new_plan},
                         {"created_at", w.created_at}});
    }
    return http::Response::Json(200, {{"total", s.total},
                                      {"pending", s.pending},
                                      {"active", s.active},
                                      {"inactive", s.inactive},
                                      {"reward_every", kRewardEvery},
                                      {"next_reward_at", s.next_reward_at},
                                      {"rewards", rewards}});
  });

  api.Add("GET", "/api/referrals/list", api::Access::kTenant, [](api::Context& ctx) {
    const auto page = api::ReadPage(ctx.request.Query("limit"), ctx.request.Query("cursor"));
    const auto rows = Referrals().List(ctx.tx, ctx.tenant(), page.limit + 1, page.after);
    return http::Response::Json(200, api::PageJson(
                                         rows, page, [](const Referral& r) { return r.id; },
                                         [](const Referral& r) {
                                           return nlohmann::json{
                                               {"id", r.id},
                                               {"organization", r.organization},
                                               {"status", r.status},
                                               {"created_at", r.created_at},
                                               {"status_changed_at", r.status_changed_at}};
                                         }));
  });
}

}  // namespace sloth::referrals
