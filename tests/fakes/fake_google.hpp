#pragma once

// Google's OAuth 2 token endpoint and Calendar API v3 as the tests need them, in Google's
// real formats (PROTOCOLS.md §3): the consent's code bound to its PKCE challenge and
// redirect URI, code exchange and refresh (form posts, `invalid_grant`), revocation;
// Bearer access tokens that expire (401 authError); events insert (client ids: a-v, 0-9,
// 5-1024 characters; a repeat is 409 duplicate), patch, delete (410 once deleted), list
// with pages and sync tokens (deleted events come back as a bare id with status
// cancelled; an expired token is 410 fullSyncRequired), freeBusy; injected failures (403
// rateLimitExceeded, 429, 5xx). One server plays both hosts (oauth2.googleapis.com and
// www.googleapis.com); the tests point both there.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fakes/fake_server.hpp"

namespace sloth::fakes {

class FakeGoogle {
 public:
  FakeGoogle(std::string client_id, std::string client_secret);

  int port() const { return server_.port(); }
  std::string base_url() const { return server_.base_url(); }
  FakeServer& server() { return server_; }

  // The salon clicks "Allow" on the consent screen at `authorization_url`: checks what
  // Google checks and returns where the browser is sent (redirect_uri?code=&state=).
  // Throws std::runtime_error for a URL Google would refuse.
  std::string Consent(const std::string& authorization_url);
  // Access tokens live this long (Google: 3599 s).
  void SetTokenLifetime(int seconds);
  // Every access token issued so far stops working (401), as after a key rotation.
  void ExpireAccessTokens();
  // Sync tokens issued so far are refused with 410.
  void ExpireSyncTokens();
  // The next `count` Calendar API requests fail: 403 rateLimitExceeded, 429 or 5xx.
  void FailNext(int count, int status);

  // The account sees only free/busy of `calendar` (events.list: 403 forbidden).
  void FreeBusyOnly(const std::string& calendar);
  // As the salon does in Google Calendar's own UI.
  std::string AddEvent(const std::string& calendar, const std::string& start,
                       const std::string& end, const std::string& summary = "Busy");
  void DeleteEvent(const std::string& calendar, const std::string& id);
  // Live (not deleted) events of a calendar.
  std::vector<nlohmann::json> Events(const std::string& calendar) const;

  int refreshes() const;
  int revocations() const;
  // Calendar API requests answered (any status), by "METHOD kind": e.g. "POST insert".
  int Calls(const std::string& what) const;

 private:
  FakeResponse Handle(const FakeRequest& r);
  FakeResponse Token(const FakeRequest& r);
  FakeResponse Calendar(const FakeRequest& r, const std::string& rest);
  nlohmann::json Changed(nlohmann::json event);

  std::string client_id_, client_secret_;
  mutable std::mutex mu_;
  int lifetime_s_ = 3599;
  int next_ = 1;
  std::int64_t seq_ = 0;         // bumped by every change to any event
  std::int64_t sync_floor_ = 0;  // sync tokens below this are expired
  struct Code {
    std::string redirect_uri, challenge;
  };
  std::map<std::string, Code> codes_;
  std::map<std::string, bool> refresh_tokens_;  // token -> revoked
  std::map<std::string, bool> access_tokens_;   // token -> valid
  std::map<std::string, std::map<std::string, nlohmann::json>> calendars_;
  std::set<std::string> free_busy_only_;
  int fail_count_ = 0, fail_status_ = 500;
  int refreshes_ = 0, revocations_ = 0;
  std::map<std::string, int> calls_;
  FakeServer server_;  // last: starts serving once the state above exists
};

}  // namespace sloth::fakes
