#include "api/api.hpp"

#include "accounts/account_repository.hpp"
#include "api/error_mapping.hpp"
#include "http/api_error.hpp"
#include "http/client_address.hpp"

namespace sloth::api {

void EnforceLimit(http::RateLimiter& limiter, const std::string& key,
                  const http::RateLimit& limit) {
  if (const auto wait = limiter.Take(key, limit)) {
    throw http::ApiError(429, "rate_limited",
                         "too many requests; retry in " + std::to_string(wait) + " s")
        .WithHeader("Retry-After", std::to_string(wait));
  }
}

Api::Api(http::Router& router, db::Pool& pool, const accounts::TokenService& tokens,
         http::RateLimiter& limiter, Limits limits)
    : router_(router),
      pool_(pool),
      tokens_(tokens),
      limiter_(limiter),
      limits_(limits),
      sessions_(limits.session_check_ttl) {}

std::optional<accounts::Principal> Api::Authorize(const http::Request& req, Access access) {
  std::optional<accounts::Principal> principal;
  std::optional<http::ApiError> refused;
  const auto auth = req.Header("authorization");
  try {
    if (auth && auth->rfind("Bearer ", 0) == 0) {
      principal = tokens_.VerifyAccess(auth->substr(7));
    } else if (auth) {
      throw errors::Error(errors::Code::kUnauthenticated, "use the Bearer scheme");
    }
  } catch (const errors::Error& e) {
    refused = ToHttp(e);
  }
  // Limits first, so callers with bad or missing tokens are throttled like anyone. Public
  // routes (sign-up, login, refresh) are limited by address whatever token is sent: any
  // valid token would otherwise lift the limit on creating accounts.
  if (principal && access != Access::kPublic) {
    EnforceLimit(limiter_, "user:" + std::to_string(principal->user_id), limits_.user);
  } else {
    EnforceLimit(limiter_, "ip:" + http::RateKey(req.remote_ip), limits_.anonymous);
  }
  if (access != Access::kPublic) {
    if (refused) throw *refused;
    if (!principal) {
      throw http::ApiError(401, "unauthenticated", "sign in first")
          .WithHeader("WWW-Authenticate", "Bearer");
    }
  }  // a public route treats a caller with a bad token as anonymous
  if (access == Access::kAdmin && !principal->IsAdmin()) {
    throw http::ApiError(403, "forbidden", "platform administrators only");
  }
  const bool tenant = access == Access::kTenant || access == Access::kOwner;
  if (tenant && !principal->tenant_id) {
    throw http::ApiError(403, "forbidden", "this route acts on an organisation");
  }
  if (access == Access::kOwner && !principal->IsOwner()) {
    throw http::ApiError(403, "forbidden", "only the organisation's owner may do this");
  }
  return principal;
}

void Api::CheckActive(db::Transaction& tx, const std::optional<accounts::Principal>& principal) {
  if (!principal) return;
  // A token would outlive a deactivation, a logout or a password change by its TTL unless
  // its account and session are checked with every request (or found live a moment ago).
  const auto& p = *principal;
  if (sessions_.IsLive(p.user_id, p.session)) return;
  const auto sent = sessions_.Now();
  accounts::AccountRepository().RequireLiveSession(tx, p.user_id, p.session, [this, p, sent] {
    sessions_.RememberLive(p.user_id, p.tenant_id, p.session, sent);
  });
}

void Api::Add(const std::string& method, const std::string& pattern, Access access, Handler handler,
              http::RouteOptions options) {
  options.tenant_scoped = access == Access::kTenant || access == Access::kOwner;
  router_.Add(
      method, pattern,
      [this, access, read_only = method == "GET",
       handler = std::move(handler)](http::Request& req) -> http::Response {
        const auto principal = Authorize(req, access);
        std::vector<std::function<void()>> after_commit;
        auto run = [&](db::Transaction& tx) {
          CheckActive(tx, principal);
          Context ctx{req, principal, tx, sessions_, after_commit};
          return handler(ctx);
        };
        auto run_and_finish = [&](auto&& transact) {
          auto response = transact();
          for (auto& f : after_commit) f();
          return response;
        };
        return MapErrors([&] {
          const bool tenant = access == Access::kTenant || access == Access::kOwner;
          // GET only reads (HTTP says it is safe): PostgreSQL holds the route to that.
          if (read_only && tenant)
            return pool_.InTenant(db::TenantId{*principal->tenant_id}, db::kReadOnly, run);
          if (read_only) return pool_.InTransaction(db::kReadOnly, run);
          return run_and_finish([&] {
            if (tenant) return pool_.InTenant(db::TenantId{*principal->tenant_id}, run);
            return pool_.InTransaction(run);
          });
        });
      },
      options);
}

void Api::AddStreaming(const std::string& method, const std::string& pattern, Access access,
                       PooledHandler handler, http::RouteOptions options) {
  options.stream_body = true;
  AddPooled(method, pattern, access, std::move(handler), options);
}

void Api::AddWebhook(const std::string& method, const std::string& pattern,
                     std::function<http::Response(http::Request&)> handler) {
  router_.Add(method, pattern, [handler = std::move(handler)](http::Request& req) {
    return MapErrors([&] { return handler(req); });
  });
}

void Api::AddPooled(const std::string& method, const std::string& pattern, Access access,
                    PooledHandler handler, http::RouteOptions options) {
  if (access != Access::kTenant && access != Access::kOwner)
    throw std::logic_error("pooled routes act on a tenant: " + pattern);
  options.tenant_scoped = true;
  router_.Add(
      method, pattern,
      [this, access, handler = std::move(handler)](http::Request& req) -> http::Response {
        const auto principal = Authorize(req, access);
        PooledContext ctx{req, *principal, pool_};
        return MapErrors([&] {
          pool_.InTransaction(db::kReadOnly,
                              [&](db::Transaction& tx) { CheckActive(tx, principal); });
          return handler(ctx);
        });
      },
      options);
}

}  // namespace sloth::api
