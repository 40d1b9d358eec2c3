#include "outbound/http_client.hpp"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <thread>

#include <Poco/Net/Context.h>
#include <Poco/Net/DNS.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>

#include "sloth/plugin.h"

namespace sloth::outbound {
namespace {

bool HostAllowed(const std::string& host, const std::vector<std::string>& allow) {
  if (allow.empty()) return true;
  for (const auto& a : allow) {
    if (a == host) return true;
    if (a.size() > 2 && a.rfind("*.", 0) == 0) {
      const std::string suffix = a.substr(1);  // ".example.com"
      if (host.size() > suffix.size() &&
          host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0) {
        return true;
      }
    }
  }
  return false;
}

bool IsPrivate(const Poco::Net::IPAddress& a) {
  if (a.isLoopback() || a.isSiteLocal() || a.isLinkLocal() || a.isWildcard() || a.isMulticast() ||
      a.isBroadcast()) {
    return true;
  }
  const std::string text = a.toString();
  if (a.family() == Poco::Net::IPAddress::IPv4) {
    unsigned o1 = 0, o2 = 0;
    if (std::sscanf(text.c_str(), "%u.%u", &o1, &o2) == 2) {
      return o1 == 0 || (o1 == 100 && o2 >= 64 && o2 <= 127);  // "this network", CGNAT
    }
    return false;
  }
  return text.rfind("fc", 0) == 0 || text.rfind("fd", 0) == 0 ||  // unique local
         a.isIPv4Mapped();
}

std::chrono::milliseconds RetryAfter(const Poco::Net::HTTPResponse& r) {
  if (!r.has("Retry-After")) return std::chrono::milliseconds(0);
  try {
    return std::chrono::milliseconds(std::stoll(r.get("Retry-After")) * 1000);
  } catch (...) {
    return std::chrono::milliseconds(0);  // an HTTP date: fall back to our own backoff
  }
}

}  // namespace

HttpClient::HttpClient(Options options, metrics::Registry& metrics)
    : options_(std::move(options)), metrics_(metrics) {
  // As for the JWT signer: hold OpenSSL initialised for the process, so Poco's reference
  // counting never tears it down under a concurrent request.
  static const bool ssl_ready = (Poco::Net::initializeSSL(), true);
  (void)ssl_ready;
}

std::pair<std::string, bool> HttpClient::Rewrite(const std::string& url) const {
  for (const auto& [from, to] : options_.rewrite) {
    if (url.rfind(from, 0) == 0 &&
        (url.size() == from.size() || url[from.size()] == '/' || url[from.size()] == '?')) {
      return {to + url.substr(from.size()), true};
    }
  }
  return {url, false};
}

Response HttpClient::Send(const Request& request, const std::string& caller) const {
  Poco::URI original;
  try {
    original = Poco::URI(request.url);
  } catch (const std::exception&) {
    throw Error(SLOTH_INVALID_ARGUMENT, "invalid URL");
  }
  if (original.getScheme() != "http" && original.getScheme() != "https") {
    throw Error(SLOTH_INVALID_ARGUMENT, "only http and https URLs are allowed");
  }
  const auto [target, rewritten] = Rewrite(request.url);
  if (!rewritten && !HostAllowed(original.getHost(), options_.allow_hosts)) {
    throw Error(SLOTH_INVALID_ARGUMENT, "host " + original.getHost() + " is not in the allow-list");
  }
  Poco::URI uri(target);
  if (!rewritten && !options_.allow_private) {
    try {
      // A literal address is checked as is: DNS::resolve would try a reverse lookup.
      Poco::Net::IPAddress literal;
      const auto addresses = Poco::Net::IPAddress::tryParse(uri.getHost(), literal)
                                 ? std::vector<Poco::Net::IPAddress>{literal}
                                 : Poco::Net::DNS::hostByName(uri.getHost()).addresses();
      for (const auto& a : addresses) {
        if (IsPrivate(a)) {
          throw Error(SLOTH_INVALID_ARGUMENT,
                      "host " + uri.getHost() + " resolves to a private address");
        }
      }
    } catch (const Poco::Exception& e) {
      throw Error(SLOTH_UNAVAILABLE, "cannot resolve " + uri.getHost() + ": " + e.displayText());
    }
  }

  const auto timeout = request.timeout.count() > 0 ? request.timeout : options_.default_timeout;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const metrics::Labels labels = {{"caller", caller}, {"host", original.getHost()}};
  auto backoff = std::chrono::milliseconds(200);
  std::optional<Response> last;  // a retryable answer, returned if retries run out of time
  for (int attempt = 0;; ++attempt) {
    const auto start = std::chrono::steady_clock::now();
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - start);
    if (left.count() <= 0)
      throw Error(SLOTH_TIMEOUT, "timed out after " + std::to_string(timeout.count()) + " ms");
    std::string outcome;
    std::chrono::milliseconds wait{0};
    try {
      std::unique_ptr<Poco::Net::HTTPClientSession> session;
      if (uri.getScheme() == "https") {
        session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort());
      } else {
        session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
      }
      session->setTimeout(Poco::Timespan(left.count() * 1000));
      Poco::Net::HTTPRequest req(request.method,
                                 uri.getPathAndQuery().empty() ? "/" : uri.getPathAndQuery(),
                                 Poco::Net::HTTPMessage::HTTP_1_1);
      for (const auto& [k, v] : request.headers) req.set(k, v);
      req.setContentLength64(static_cast<Poco::Int64>(request.body.size()));
      auto& os = session->sendRequest(req);
      os.write(request.body.data(), static_cast<std::streamsize>(request.body.size()));
      Poco::Net::HTTPResponse resp;
      auto& is = session->receiveResponse(resp);
      Response out;
      out.status = resp.getStatus();
      for (const auto& [k, v] : resp) out.headers.emplace_back(k, v);
      char buf[16384];
      while (is) {
        is.read(buf, sizeof buf);
        const auto n = is.gcount();
        if (n <= 0) break;
        if (static_cast<std::int64_t>(out.body.size()) + n > options_.max_response_bytes) {
          throw Error(
              SLOTH_UNAVAILABLE,
              "response larger than " + std::to_string(options_.max_response_bytes) + " bytes");
        }
        out.body.append(buf, static_cast<std::size_t>(n));
      }
      outcome = std::to_string(out.status);
      metrics_.Inc("sloth_outbound_requests_total", "outbound HTTP requests",
                   {{"caller", caller}, {"host", original.getHost()}, {"status", outcome}});
      metrics_.Observe(
          "sloth_outbound_request_duration_seconds", "outbound HTTP latency", labels,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      const bool retryable = out.status == 429 || out.status >= 500;
      if (!retryable || attempt >= request.max_retries) return out;
      wait = std::max(backoff, RetryAfter(resp));
      last = std::move(out);
    } catch (const Error&) {
      throw;
    } catch (const Poco::TimeoutException&) {
      metrics_.Inc("sloth_outbound_requests_total", "outbound HTTP requests",
                   {{"caller", caller}, {"host", original.getHost()}, {"status", "timeout"}});
      if (attempt >= request.max_retries) {
        throw Error(SLOTH_TIMEOUT, "timed out waiting for " + original.getHost());
      }
      wait = backoff;
    } catch (const Poco::Exception& e) {
      metrics_.Inc("sloth_outbound_requests_total", "outbound HTTP requests",
                   {{"caller", caller}, {"host", original.getHost()}, {"status", "error"}});
      if (attempt >= request.max_retries) {
        throw Error(SLOTH_UNAVAILABLE, original.getHost() + ": " + e.displayText());
      }
      wait = backoff;
    }
    if (std::chrono::steady_clock::now() + wait >= deadline) {
      if (last) return *last;
      throw Error(SLOTH_TIMEOUT, "no answer from " + original.getHost() + " within the deadline");
    }
    std::this_thread::sleep_for(wait);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
}

}  // namespace sloth::outbound
