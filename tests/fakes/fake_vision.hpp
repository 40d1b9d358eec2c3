#pragma once

// Google Cloud Vision images:annotate as PROTOCOLS.md §4 describes it: ?key= auth, one
// response per request image in order, empty fields omitted, a per-image `error` with HTTP
// 200 (an image whose bytes contain "unreadable"), whole-request errors with status names.

#include <string>

#include "fakes/fake_server.hpp"

namespace sloth::fakes {

class FakeVision {
 public:
  explicit FakeVision(std::string key);
  std::string base_url() const { return server_.base_url(); }
  FakeServer& server() { return server_; }

 private:
  FakeResponse Handle(const FakeRequest& r);
  std::string key_;
  FakeServer server_;
};

}  // namespace sloth::fakes
