#include "integrations/oauth_state.hpp"

#include <nlohmann/json.hpp>

#include "crypto/random_token.hpp"

namespace sloth::integrations {

std::string SignState(const crypto::SecretBox& box, const OAuthState& s) {
  const std::string payload = crypto::Base64Url(nlohmann::json{
      {"t", s.tenant},
      {"n", s.nonce},
      {"e", s.expires.time_since_epoch().count()}}.dump());
  return payload + "." + crypto::Base64Url(box.Mac(payload));
}

std::optional<OAuthState> ReadState(const crypto::SecretBox& box, std::string_view text,
                                    std::chrono::sys_seconds now) {
  if (text.size() > 1024) return std::nullopt;
  const auto dot = text.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const std::string_view payload = text.substr(0, dot);
  const auto mac = crypto::FromBase64Url(text.substr(dot + 1));
  if (!mac || !box.VerifyMac(payload, *mac)) return std::nullopt;
  const auto raw = crypto::FromBase64Url(payload);
  if (!raw) return std::nullopt;
  const auto j = nlohmann::json::parse(*raw, nullptr, false);
  if (!j.is_object() || !j.value("t", nlohmann::json()).is_number_integer() ||
      !j.value("n", nlohmann::json()).is_string() ||
      !j.value("e", nlohmann::json()).is_number_integer())
    return std::nullopt;
  OAuthState s{j["t"].get<std::int64_t>(), j["n"].get<std::string>(),
               std::chrono::sys_seconds(std::chrono::seconds(j["e"].get<std::int64_t>()))};
  if (s.expires <= now) return std::nullopt;
  return s;
}

Pkce NewPkce() {
  Pkce p;
  p.verifier = crypto::RandomToken();
  p.challenge = crypto::Base64Url(crypto::Sha256(p.verifier));
  return p;
}

}  // namespace sloth::integrations
