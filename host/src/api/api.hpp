#pragma once

// Every /api route is registered here. The wrapper is the one place where a request is
// authenticated, rate limited, authorised at the route (access level and role), and given
// its transaction — scoped to the caller's tenant (SET LOCAL search_path) for tenant
// routes — so no handler repeats any of it.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "accounts/principal.hpp"
#include "accounts/session_cache.hpp"
#include "accounts/tokens.hpp"
#include "db/pool.hpp"
#include "http/rate_limiter.hpp"
#include "http/router.hpp"

namespace sloth::api {

enum class Access {
  kPublic,    // anyone; a valid token, if sent, identifies the caller for rate limits
  kSignedIn,  // any signed-in user (admins included)
  kTenant,    // a user of an organisation; runs in that tenant's scope
  kOwner,     // kTenant, owner only
  kAdmin,     // platform admins
};

struct Context {
  http::Request& request;
  std::optional<accounts::Principal> principal;
  db::Transaction& tx;  // tenant-scoped for kTenant/kOwner routes
  accounts::SessionCache& sessions;
  std::vector<std::function<void()>>& after_commit;

  const accounts::Principal& user() const { return *principal; }
  // Runs `f` once the request's transaction has committed (forgetting a session it ended:
  // before the commit, a concurrent check could still read it live and remember it).
  void AfterCommit(std::function<void()> f) { after_commit.push_back(std::move(f)); }
  std::int64_t tenant() const { return *principal->tenant_id; }
};

using Handler = std::function<http::Response(Context&)>;

// For routes that must not hold a transaction for their whole run: uploads (the client
// sends for as long as it likes) and routes that call a provider (an embedder, a channel's
// verification). The handler opens the transactions it needs from `pool`, and calls
// providers between them (the same rule as staged jobs, jobs/worker_pool.hpp).
struct PooledContext {
  http::Request& request;  // for streaming routes, request.body_stream is the body
  const accounts::Principal& principal;
  db::Pool& pool;

  std::int64_t tenant() const { return *principal.tenant_id; }
  // Runs `f` in a transaction scoped to the caller's tenant.
  template <typename F>
  auto InTenant(F&& f) {
    return pool.InTenant(db::TenantId{tenant()}, std::forward<F>(f));
  }
};

using PooledHandler = std::function<http::Response(PooledContext&)>;

struct Limits {
  http::RateLimit anonymous{100, std::chrono::hours(1)};
  http::RateLimit user{1000, std::chrono::hours(1)};
  // How long a session found live is taken as live without asking the database again.
  std::chrono::milliseconds session_check_ttl{1000};
};

class Api {
 public:
  Api(http::Router& router, db::Pool& pool, const accounts::TokenService& tokens,
      http::RateLimiter& limiter, Limits limits);

  void Add(const std::string& method, const std::string& pattern, Access access, Handler handler,
           http::RouteOptions options = {});
  // A signed-in route (access kTenant or kOwner) with no transaction of its own; see
  // PooledContext.
  void AddPooled(const std::string& method, const std::string& pattern, Access access,
                 PooledHandler handler, http::RouteOptions options = {});
  // AddPooled for a route whose body streams to the handler as it arrives.
  void AddStreaming(const std::string& method, const std::string& pattern, Access access,
                    PooledHandler handler, http::RouteOptions options = {});
  // A provider's webhook: anyone may call it (the plugin verifies the signature), no
  // transaction, no rate limit by IP (providers deliver from few addresses).
  void AddWebhook(const std::string& method, const std::string& pattern,
                  std::function<http::Response(http::Request&)> handler);

  http::RateLimiter& limiter() { return limiter_; }
  const accounts::TokenService& tokens() const { return tokens_; }
  accounts::SessionCache& sessions() { return sessions_; }

 private:
  // Authenticates, rate limits and checks the access level; throws ApiError.
  std::optional<accounts::Principal> Authorize(const http::Request& req, Access access);
  void CheckActive(db::Transaction& tx, const std::optional<accounts::Principal>& principal);

  http::Router& router_;
  db::Pool& pool_;
  const accounts::TokenService& tokens_;
  http::RateLimiter& limiter_;
  Limits limits_;
  accounts::SessionCache sessions_;
};

// Throws 429 with Retry-After when `key` is over `limit`.
void EnforceLimit(http::RateLimiter& limiter, const std::string& key, const http::RateLimit& limit);

}  // namespace sloth::api
