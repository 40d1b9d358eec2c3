#pragma once

// Documents and photos in: an upload in three steps, so no transaction is held while the
// bytes arrive (CheckQuota, Receive, Record), and out again (Delete).

#include <cstdint>
#include <istream>
#include <string>

#include <nlohmann/json.hpp>

#include "db/pool.hpp"
#include "knowledge/index_registry.hpp"
#include "storage/blob_store.hpp"

namespace sloth::knowledge {

// What an upload may be: the formats it takes, the quota it counts against, its job.
struct UploadKind {
  const char* kind;   // documents.kind
  const char* quota;  // usage metric, also the storage folder
  const char* job;
  int max_attempts;
  const char* default_title;
  bool photo;  // JPEG, PNG, WebP; else PDF, DOCX, XLSX, TXT, MD, CSV
};
extern const UploadKind kDocumentUpload, kPhotoUpload;

struct StoredFile {
  std::string key, format, filename;
  std::uint64_t size = 0;
};

class Uploads {
 public:
  Uploads(storage::BlobStore& blobs, IndexRegistry& indexes, std::size_t max_upload_bytes)
      : blobs_(blobs), indexes_(indexes), max_upload_bytes_(max_upload_bytes) {}

  std::size_t max_upload_bytes() const { return max_upload_bytes_; }

  // First a look at the quotas (payment_required / limit_reached when used up already) ...
  void CheckQuota(db::Pool& pool, std::int64_t tenant, const UploadKind& kind);
  // ... then the file, stored as it arrives: its first bytes decide its type
  // (unsupported_media_type when the kind does not take it), invalid_argument when empty,
  // payload_too_large beyond knowledge.max_upload_bytes, unavailable when storage fails;
  // nothing stays stored when it throws ...
  StoredFile Receive(std::int64_t tenant, const UploadKind& kind, const std::string& filename,
                     std::istream& in);
  // ... then the quotas counted, the row (status pending) and its job, in `tx`. A file
  // whose Record failed is given to Discard.
  nlohmann::json Record(db::Transaction& tx, std::int64_t tenant, const UploadKind& kind,
                        const StoredFile& file, const std::string& title);
  void Discard(const StoredFile& file) noexcept;

  // Deletes the row and its chunks and gives the quotas back in one transaction, then the
  // stored file (a file left behind is removed by knowledge.cleanup). False when there is
  // no such document of `kind`.
  bool Delete(db::Pool& pool, std::int64_t tenant, std::int64_t id, const std::string& kind);

 private:
  storage::BlobStore& blobs_;
  IndexRegistry& indexes_;
  std::size_t max_upload_bytes_;
};

}  // namespace sloth::knowledge
