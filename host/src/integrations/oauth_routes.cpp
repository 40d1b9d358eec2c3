#include "integrations/oauth_routes.hpp"

#include <spdlog/spdlog.h>

#include "crypto/random_token.hpp"
#include "errors/error.hpp"
#include "integrations/connect.hpp"
#include "integrations/integration_routes.hpp"
#include "integrations/oauth_state.hpp"
#include "integrations/plan_gate.hpp"

namespace sloth::integrations {
namespace {

using json = nlohmann::json;

constexpr std::chrono::seconds kConsentTtl{600};

// The provider whose consent lands on /oauth/<provider>/callback.
const std::map<std::string, std::string>& Callbacks() {
  static const std::map<std::string, std::string> m = {{"gcalendar", "google"}};
  return m;
}

std::chrono::sys_seconds Now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

// A short-lived instance with the platform's config only: it knows the provider's URLs
// and the platform's OAuth client, not any organisation's credentials.
template <typename F>
plugins::CallOutcome WithConsentInstance(IntegrationRuntime& runtime, const std::string& plugin,
                                         std::int64_t tenant, F&& call) {
  auto inst = runtime.plugins().CreateInstance(plugin, {"oauth", tenant, json::object()});
  const auto started = inst->Start();
  if (!started.ok()) {
    inst->Stop();
    return started;
  }
  auto out = call(*inst);
  inst->Stop();
  return out;
}

}  // namespace

void AddOAuthRoutes(api::Api& api, db::Pool& pool, IntegrationRuntime& runtime,
                    std::string public_url, std::function<void()> on_change) {
  api.AddPooled(
      "POST", "/api/integrations/{plugin}/authorize", api::Access::kOwner,
      [&runtime, public_url](api::PooledContext& ctx) {
        const std::string plugin_id = ctx.request.Param("plugin");
        const auto cb = Callbacks().find(plugin_id);
        const auto plugin = runtime.plugins().Find(plugin_id);
        if (cb == Callbacks().end() || !plugin)
          throw errors::Error::NotFound("no plugin connects through a consent screen here",
                                        "plugin");
        if (public_url.empty())
          throw errors::Error(errors::Code::kUnavailable,
                              "the host has no http.public_url, so the provider cannot send "
                              "the browser back");
        const json body = ctx.request.body.empty() ? json::object() : ctx.request.Json();
        json request = json::object();
        if (body.contains("calendar_id")) {
          if (!body["calendar_id"].is_string() || body["calendar_id"].get<std::string>().empty() ||
              body["calendar_id"].get<std::string>().size() > 1024)
            throw errors::Error::InvalidArgument("must be a calendar id", "calendar_id");
          request["calendar_id"] = body["calendar_id"];
        }
        const auto& feature = plugin->manifest.feature;
        ctx.InTenant([&](db::Transaction& tx) {
          PlanGate().CheckCanEnable(
              tx, ctx.tenant(),
              feature.empty() ? std::nullopt : std::optional<std::string>(feature));
        });
        const Pkce pkce = NewPkce();
        const OAuthState state{ctx.tenant(), crypto::RandomToken(), Now() + kConsentTtl};
        const std::string signed_state = SignState(runtime.box(), state);
        const std::string redirect = public_url + "/oauth/" + cb->second + "/callback";
        const auto out = WithConsentInstance(runtime, plugin_id, ctx.tenant(),
                                             [&](plugins::PluginInstance& inst) {
                                               return inst.AuthorizeUrl(json{
                                                   {"redirect_uri", redirect},
                                                   {"state", signed_state},
                                                   {"code_challenge",
                                                    pkce.challenge}}.dump());
                                             });
        if (!out.ok()) throw errors::Error(errors::Code::kProviderError, out.error);
        const json url = json::parse(out.output, nullptr, false);
        if (!url.is_object() || !url.value("url", json()).is_string())
          throw errors::Error(errors::Code::kProviderError, "the plugin gave no consent URL");
        ctx.InTenant([&](db::Transaction& tx) {
          IntegrationRepository().SaveConsent(
              tx, state.nonce,
              {ctx.tenant(), plugin_id, runtime.box().Seal(pkce.verifier), request}, kConsentTtl);
        });
        return http::Response::Json(200,
                                    {{"url", url["url"]}, {"expires_in", kConsentTtl.count()}});
      });

  for (const auto& [plugin_id, provider] : Callbacks()) {
    api.AddWebhook(
        "GET", "/oauth/" + provider + "/callback",
        [&pool, &runtime, public_url, on_change, plugin_id = plugin_id,
         provider = provider](http::Request& req) {
          const auto state = ReadState(runtime.box(), req.Query("state").value_or(""), Now());
          if (!state)
            throw errors::Error::InvalidArgument(
                "the consent link is altered or expired: start connecting again", "state");
          const auto consent = pool.InTransaction([&](db::Transaction& tx) {
            return IntegrationRepository().TakeConsent(tx, state->nonce);
          });
          if (!consent || consent->tenant_id != state->tenant || consent->plugin_id != plugin_id)
            throw errors::Error::InvalidArgument(
                "this consent was already used or has expired: start connecting again", "state");
          if (const auto error = req.Query("error")) {
            spdlog::info("integrations: tenant {} declined {} consent ({})", state->tenant,
                         plugin_id, *error);
            throw errors::Error(
                errors::Code::kInvalidArgument, "the consent was not given at " + provider, "error",
                {{"reason", *error == "access_denied" ? "access_denied" : "provider_error"}});
          }
          const std::string code = req.Query("code").value_or("");
          if (code.empty() || code.size() > 4096)
            throw errors::Error::InvalidArgument("the provider sent no code", "code");
          const std::string redirect = public_url + "/oauth/" + provider + "/callback";
          const auto out = WithConsentInstance(
              runtime, plugin_id, state->tenant, [&](plugins::PluginInstance& inst) {
                return inst.ExchangeCode(json{
                    {"code", code},
                    {"code_verifier", runtime.box().Open(consent->sealed_verifier)},
                    {"redirect_uri",
                     redirect}}.dump());
              });
          if (!out.ok()) {
            if (out.status == SLOTH_UNAUTHENTICATED || out.status == SLOTH_INVALID_ARGUMENT)
              throw errors::Error(errors::Code::kInvalidArgument, out.error, "code",
                                  {{"reason", "provider_refused"}});
            throw errors::Error(errors::Code::kProviderError, out.error);
          }
          const json exchanged = json::parse(out.output, nullptr, false);
          json config = exchanged.is_object() ? exchanged.value("credentials", json::object())
                                              : json::object();
          if (!config.is_object()) config = json::object();
          config.update(consent->request);
          const auto done = Connect(pool, runtime, public_url, state->tenant, plugin_id, config);
          if (on_change) on_change();
          return http::Response::Json(201, IntegrationJson(done));
        });
  }
}

}  // namespace sloth::integrations
