#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "sloth/plugin.hpp"

namespace gcalendar {

// One organisation's Google Calendar. The platform's OAuth client (client_id in the
// plugin's host config, client_secret from SLOTH_PLUGIN_GCALENDAR_CLIENT_SECRET) and the
// organisation's refresh token (sealed by the host in the integration's config). The
// access token lives only in memory, refreshed ~4 minutes before it expires and once on a
// 401. Rate-limit 403s, 429 and 5xx are retried with exponential backoff.
// Reentrant: calls share only the access token, under mu_.
class GoogleCalendar final : public sloth::Calendar {
 public:
  static constexpr bool kReentrant = true;

  explicit GoogleCalendar(const sloth::InstanceArgs& args);

  std::string FreeBusy(std::string_view request_json) override;
  std::string CreateEvent(std::string_view event_json) override;
  std::string UpdateEvent(std::string_view event_json) override;
  void DeleteEvent(std::string_view calendar_id, std::string_view event_id) override;
  std::string AuthorizeUrl(std::string_view request_json) override;
  std::string ExchangeCode(std::string_view request_json) override;
  std::string ListEvents(std::string_view request_json) override;
  void Revoke() override;

 private:
  struct Answer {
    int status = 0;
    nlohmann::json body;
    std::string raw;
  };
  // One Calendar API request, retried as the class comment says. Returns 2xx answers and
  // the failures a caller may want to read (404, 409, 410, ...); throws sloth::Error for
  // the rest once retries are spent.
  Answer Api(const std::string& method, const std::string& path, const nlohmann::json* body);
  // POSTs a form to the token endpoint; returns its JSON or throws.
  nlohmann::json TokenRequest(const std::string& form);
  std::string AccessToken(bool force);
  std::string CalendarPath(std::string_view calendar_id) const;
  [[noreturn]] void Fail(const Answer& a, const std::string& what) const;

  sloth::Host host_;
  std::string client_id_, client_secret_;
  std::string auth_url_, token_url_, revoke_url_, api_base_, scope_;
  std::string refresh_token_, calendar_id_;
  int max_retries_ = 4;
  std::chrono::milliseconds backoff_{500};

  std::mutex mu_;
  std::string access_token_;
  std::chrono::steady_clock::time_point expires_{};
};

}  // namespace gcalendar
