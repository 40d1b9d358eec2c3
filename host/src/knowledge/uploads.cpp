#include "knowledge/uploads.hpp"

#include <algorithm>

#include <sodium.h>
#include <spdlog/spdlog.h>

#include "billing/usage.hpp"
#include "errors/error.hpp"
#include "jobs/job_queue.hpp"
#include "knowledge/document_repository.hpp"
#include "knowledge/parsers.hpp"

namespace sloth::knowledge {
const UploadKind kDocumentUpload = {"document", "documents", "knowledge.ingest",
                                    3,          "Untitled",  false};
const UploadKind kPhotoUpload = {"photo", "photos", "knowledge.analyze", 5, "Photo", true};

void Uploads::CheckQuota(db::Pool& pool, std::int64_t tenant, const UploadKind& kind) {
  pool.InTenant(db::TenantId{tenant}, [&](db::Transaction& tx) {
    billing::UsageMeter meter;
    meter.Check(tx, tenant, kind.quota);
    meter.Check(tx, tenant, "storage_mb", 1);
  });
}

StoredFile Uploads::Receive(std::int64_t tenant, const UploadKind& kind,
                            const std::string& filename, std::istream& in) {
  const auto limit = max_upload_bytes_;
  std::string buf;
  auto next_block = [&in, &buf] {
    buf.resize(64 * 1024);
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    buf.resize(static_cast<std::size_t>(in.gcount()));
  };
  next_block();
  if (buf.empty()) throw errors::Error::InvalidArgument("the file is empty", "file");
  StoredFile file;
  file.filename = filename;
  file.format = DetectFormat(buf, filename);
  const bool image = file.format == "jpeg" || file.format == "png" || file.format == "webp";
  if (file.format.empty() || image != kind.photo) {
    throw errors::Error(errors::Code::kUnsupportedMediaType,
                        kind.photo ? "photos must be JPEG, PNG or WebP (decided by content)"
                                   : "documents must be PDF, DOCX, XLSX, TXT, MD or CSV "
                                     "(decided by content)",
                        "file");
  }
  unsigned char id[12];
  randombytes_buf(id, sizeof id);
  char name[sizeof id * 2 + 1];
  sodium_bin2hex(name, sizeof name, id, sizeof id);
  file.key = std::to_string(tenant) + "/" + kind.quota + "/" + name + "." + file.format;
  try {
    auto blob =
        blobs_.Writer(file.key, image ? "image/" + file.format : "application/octet-stream");
    while (!buf.empty()) {
      if (blob->size() + buf.size() > limit) {
        throw errors::Error(errors::Code::kPayloadTooLarge,
                            "the file is larger than " + std::to_string(limit >> 20) + " MB",
                            "file");
      }
      blob->Write(buf);
      next_block();
    }
    blob->Commit();
    file.size = blob->size();
  } catch (const storage::StorageError& e) {
    throw errors::Error::Unavailable(std::string("the file could not be stored: ") + e.what());
  }
  return file;
}

nlohmann::json Uploads::Record(db::Transaction& tx, std::int64_t tenant, const UploadKind& kind,
                               const StoredFile& file, const std::string& title) {
  billing::UsageMeter meter;
  meter.Consume(tx, tenant, kind.quota);
  meter.Consume(tx, tenant, "storage_mb", billing::MegabytesOf(file.size));
  NewDocument d;
  d.kind = kind.kind;
  d.title = !title.empty() ? title : (!file.filename.empty() ? file.filename : kind.default_title);
  d.filename = file.filename;
  d.format = file.format;
  d.size_bytes = static_cast<std::int64_t>(file.size);
  d.storage_key = file.key;
  const std::int64_t id = DocumentRepository().Insert(tx, d);
  jobs::EnqueueOptions o;
  o.tenant_id = tenant;
  o.max_attempts = kind.max_attempts;
  jobs::Enqueue(tx, kind.job, {{"document_id", id}}, o);
  return {{"id", id}, {"status", "pending"}, {"format", file.format}};
}

void Uploads::Discard(const StoredFile& file) noexcept {
  blobs_.Remove(file.key);  // logs a failure; the weekly knowledge.cleanup removes the file
}

bool Uploads::Delete(db::Pool& pool, std::int64_t tenant, std::int64_t id,
                     const std::string& kind) {
  const auto gone = pool.InTenant(db::TenantId{tenant}, [&](db::Transaction& tx) {
    const auto d = DocumentRepository().Delete(tx, id, kind);
    if (!d) return d;
    indexes_.indexes().Remove(tenant, d->chunk_ids);
    indexes_.AnnounceChange(tx, tenant);
    // Give the totals back: its megabytes, and one document (photos count per month instead).
    billing::UsageMeter meter;
    meter.Release(tx, tenant, "storage_mb",
                  billing::MegabytesOf(static_cast<std::uint64_t>(d->size_bytes)));
    if (kind == kDocumentUpload.kind) meter.Release(tx, tenant, kDocumentUpload.quota);
    return d;
  });
  if (!gone) return false;
  blobs_.Remove(gone->storage_key);  // after the commit: no transaction waits on storage
  return true;
}

}  // namespace sloth::knowledge
