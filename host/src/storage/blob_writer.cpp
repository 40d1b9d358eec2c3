#include "storage/blob_writer.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace sloth::storage {

BlobWriter::BlobWriter(std::shared_ptr<plugins::PluginInstance> storage, std::string key,
                       std::string content_type)
    : storage_(std::move(storage)), key_(std::move(key)), content_type_(std::move(content_type)) {
  const auto begun = storage_->BeginPut(key_, content_type_);
  if (begun.ok()) {
    upload_id_ = nlohmann::json::parse(begun.output).at("upload_id").get<std::string>();
    if (upload_id_.empty()) throw StorageError("the storage plugin returned an empty upload id");
  } else if (begun.status != SLOTH_UNSUPPORTED) {
    throw StorageError(begun.error);
  }  // else: gathered in memory, one put at Commit
}

BlobWriter::~BlobWriter() {
  Abort();
}

void BlobWriter::Write(std::string_view data) {
  if (done_) throw StorageError("the blob is already finished");
  pending_.append(data);
  size_ += data.size();
  if (streamed() && pending_.size() >= kPartBytes) Flush();
}

void BlobWriter::Flush() {
  if (pending_.empty()) return;
  std::string part;
  part.swap(pending_);
  const auto r = storage_->PutPart(upload_id_, std::move(part));
  if (!r.ok()) throw StorageError(r.error);
}

void BlobWriter::Commit() {
  if (done_) throw StorageError("the blob is already finished");
  if (streamed()) {
    Flush();
    const auto r = storage_->CommitPut(upload_id_);
    if (!r.ok()) throw StorageError(r.error);
  } else {
    const auto r = storage_->Put(key_, pending_, content_type_);
    if (!r.ok()) throw StorageError(r.error);
    pending_.clear();
  }
  done_ = true;
}

void BlobWriter::Abort() noexcept {
  if (done_) return;
  done_ = true;
  pending_.clear();
  if (!streamed()) return;
  try {
    const auto r = storage_->AbortPut(upload_id_);
    if (!r.ok()) spdlog::warn("storage: upload of {} not aborted: {}", key_, r.error);
  } catch (const std::exception& e) {
    spdlog::warn("storage: upload of {} not aborted: {}", key_, e.what());
  }
}

}  // namespace sloth::storage
