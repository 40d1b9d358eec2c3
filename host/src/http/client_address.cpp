#include "http/client_address.hpp"

#include <stdexcept>

#include <Poco/Exception.h>

namespace sloth::http {
namespace {

// IPv4-mapped IPv6 (::ffff:a.b.c.d) as IPv4, so one client has one form.
Poco::Net::IPAddress Plain(const Poco::Net::IPAddress& ip) {
  if (ip.family() == Poco::Net::IPAddress::IPv6 && ip.isIPv4Mapped()) {
    const auto* b = static_cast<const unsigned char*>(ip.addr());
    return Poco::Net::IPAddress(b + 12, 4);
  }
  return ip;
}

Poco::Net::IPAddress Masked(const Poco::Net::IPAddress& ip, unsigned prefix) {
  return ip & Poco::Net::IPAddress(prefix, ip.family());
}

std::string Trim(const std::string& s) {
  const auto a = s.find_first_not_of(" \t");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t") - a + 1);
}

}  // namespace

bool Cidr::Contains(const Poco::Net::IPAddress& ip) const {
  const auto plain = Plain(ip);
  return plain.family() == network.family() && Masked(plain, prefix) == network;
}

Cidr ParseCidr(const std::string& text) {
  const auto slash = text.find('/');
  Poco::Net::IPAddress ip;
  if (!Poco::Net::IPAddress::tryParse(text.substr(0, slash), ip))
    throw std::invalid_argument("'" + text + "' is not an IP address or network");
  ip = Plain(ip);
  const unsigned max = ip.family() == Poco::Net::IPAddress::IPv4 ? 32 : 128;
  unsigned prefix = max;
  if (slash != std::string::npos) {
    const std::string bits = text.substr(slash + 1);
    if (bits.empty() || bits.size() > 3 ||
        bits.find_first_not_of("0123456789") != std::string::npos || std::stoul(bits) > max)
      throw std::invalid_argument("'" + text + "' has a bad prefix length");
    prefix = static_cast<unsigned>(std::stoul(bits));
  }
  return {Masked(ip, prefix), prefix};
}

std::string ClientAddress(const Poco::Net::IPAddress& peer, const std::string* forwarded_for,
                          const std::vector<Cidr>& trusted) {
  auto is_trusted = [&](const Poco::Net::IPAddress& ip) {
    for (const auto& c : trusted)
      if (c.Contains(ip)) return true;
    return false;
  };
  Poco::Net::IPAddress client = Plain(peer);
  if (!forwarded_for || !is_trusted(client)) return client.toString();
  // Right to left: each hop appended the address it received from.
  std::string rest = *forwarded_for;
  while (!rest.empty()) {
    const auto comma = rest.rfind(',');
    const std::string hop = Trim(comma == std::string::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string::npos ? "" : rest.substr(0, comma);
    Poco::Net::IPAddress ip;
    if (!Poco::Net::IPAddress::tryParse(hop, ip)) break;  // garbage: stop at the last good hop
    client = Plain(ip);
    if (!is_trusted(client)) break;
  }
  return client.toString();
}

std::string RateKey(const std::string& ip) {
  Poco::Net::IPAddress a;
  if (!Poco::Net::IPAddress::tryParse(ip, a)) return ip;
  a = Plain(a);
  if (a.family() == Poco::Net::IPAddress::IPv4) return a.toString();
  return Masked(a, 64).toString() + "/64";
}

}  // namespace sloth::http
