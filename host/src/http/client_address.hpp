#pragma once

// Who a request comes from, for rate limits and the access log. Behind a load balancer the
// socket's peer is the balancer: X-Forwarded-For is believed only when the peer is one of
// the configured trusted proxies, and then only as far back as the first address that is
// not one of them (anything further left is whatever the client chose to send).

#include <string>
#include <vector>

#include <Poco/Net/IPAddress.h>

namespace sloth::http {

struct Cidr {
  Poco::Net::IPAddress network;
  unsigned prefix = 0;
  bool Contains(const Poco::Net::IPAddress& ip) const;
};

// "10.0.0.0/8", "2001:db8::/32", or a single address. Throws std::invalid_argument.
Cidr ParseCidr(const std::string& text);

// The client's address: `peer` itself, or from `forwarded_for` when `peer` is trusted.
std::string ClientAddress(const Poco::Net::IPAddress& peer, const std::string* forwarded_for,
                          const std::vector<Cidr>& trusted);

// The rate-limit key of an address: IPv4 as is, IPv6 by its /64 (one customer's allocation,
// in which an attacker chooses addresses freely); an IPv4-mapped IPv6 address is IPv4.
std::string RateKey(const std::string& ip);

}  // namespace sloth::http
