#pragma once

// The WhatsApp Business Cloud API (Meta Graph) as PROTOCOLS.md §2 describes it: Bearer
// auth, POST /{version}/{phone-number-id}/messages, GET of the phone number, Meta's error
// envelope told apart by `code` (190 auth, 130429 rate limit, 131047 outside the window,
// 131009 bad buttons, 132001 unknown template), reply buttons and templates.
// Also signs notifications the way Meta does (X-Hub-Signature-256).

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fakes/fake_server.hpp"

namespace sloth::fakes {

class FakeWhatsApp {
 public:
  FakeWhatsApp(std::string access_token, std::string phone_number_id);

  std::string base_url() const { return server_.base_url(); }
  // When the customer at `phone` last wrote: free-form messages to them more than 24 h
  // later are refused with 131047, as Meta does (numbers never told: not checked).
  void CustomerWrote(const std::string& phone, std::chrono::system_clock::time_point when);
  // A template Meta approved; others are refused with 132001.
  void ApproveTemplate(const std::string& name, const std::string& language);
  // Messages accepted, in order (the request bodies).
  std::vector<nlohmann::json> sent() const;
  std::string last_message_id() const;
  bool WaitForSent(std::size_t n, std::chrono::milliseconds timeout) const;

  // A notification as Meta posts it, with its signature header value.
  static nlohmann::json TextNotification(const std::string& from, const std::string& id,
                                         const std::string& text, long long timestamp);
  static nlohmann::json StatusNotification(const std::string& message_id, const std::string& to,
                                           const std::string& status);
  static std::string Sign(const std::string& body, const std::string& app_secret);

 private:
  FakeResponse Handle(const FakeRequest& r);

  std::string token_, phone_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<nlohmann::json> sent_;
  std::string last_id_;
  std::map<std::string, std::chrono::system_clock::time_point> last_customer_;
  std::set<std::string> templates_;
  long next_ = 1;
  FakeServer server_;
};

}  // namespace sloth::fakes
