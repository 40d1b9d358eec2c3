#pragma once

// Writes one blob through a storage plugin as its bytes arrive: streamed (ABI 1.2
// begin_put / put_part / commit_put) when the plugin can, else gathered and stored with
// one put (plugins built for 1.0 and 1.1). A writer neither committed nor aborted aborts in
// its destructor, so an upload cut off halfway leaves no blob behind.

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "errors/error.hpp"
#include "plugins/plugin_instance.hpp"

namespace sloth::storage {

// Storage failed or is absent: the caller may retry later (unavailable).
class StorageError : public errors::Error {
 public:
  explicit StorageError(std::string message)
      : errors::Error(errors::Code::kUnavailable, std::move(message)) {}
};

class BlobWriter {
 public:
  // Parts handed to the plugin are this large (the last one smaller).
  static constexpr std::size_t kPartBytes = 1u << 20;

  BlobWriter(std::shared_ptr<plugins::PluginInstance> storage, std::string key,
             std::string content_type);
  ~BlobWriter();
  BlobWriter(const BlobWriter&) = delete;
  BlobWriter& operator=(const BlobWriter&) = delete;

  void Write(std::string_view data);  // throws StorageError
  void Commit();                      // the blob is visible after this; throws StorageError
  void Abort() noexcept;

  std::uint64_t size() const { return size_; }
  const std::string& key() const { return key_; }
  bool streamed() const { return !upload_id_.empty(); }

 private:
  void Flush();

  std::shared_ptr<plugins::PluginInstance> storage_;
  std::string key_, content_type_, upload_id_, pending_;
  std::uint64_t size_ = 0;
  bool done_ = false;
};

}  // namespace sloth::storage
