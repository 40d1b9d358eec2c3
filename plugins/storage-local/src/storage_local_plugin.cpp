// The local blob store as a plugin: a thin wrapper over BlobStore.
#include <nlohmann/json.hpp>

#include "blob_store.hpp"
#include "sloth/plugin.hpp"

namespace storage_local {

// Storage errors as plugin statuses: a bad key is the caller's, a file system error is not.
template <typename F>
auto Guard(F&& f) {
  try {
    return f();
  } catch (const BadKey& e) {
    throw sloth::Error(sloth::Status::kInvalidArgument, e.what());
  } catch (const std::filesystem::filesystem_error& e) {
    throw sloth::Error(sloth::Status::kUnavailable, e.code().message());
  }
}

class LocalStorage final : public sloth::Storage {
 public:
  explicit LocalStorage(const sloth::InstanceArgs& args)
      : store_(nlohmann::json::parse(args.config_json).at("data_dir").get<std::string>()) {}
  // Files are written under unique temporary names and renamed: calls may overlap.
  static constexpr bool kReentrant = true;

  std::string Put(std::string_view key, std::string_view data, std::string_view) override {
    const auto size = Guard([&] { return store_.Put(key, data); });
    return nlohmann::json{{"key", std::string(key)}, {"size", size}}.dump();
  }
  std::string Get(std::string_view key) override {
    auto data = Guard([&] { return store_.Get(key); });
    if (!data) throw sloth::Error(sloth::Status::kNotFound, "no such blob");
    return std::move(*data);
  }
  void Remove(std::string_view key) override {
    Guard([&] { return store_.Remove(key); });
  }
  std::string BeginPut(std::string_view key, std::string_view) override {
    return nlohmann::json{{"upload_id", Guard([&] { return store_.Begin(key); })}}.dump();
  }
  void PutPart(std::string_view upload_id, std::string_view data) override {
    Guard([&] { store_.Append(upload_id, data); });
  }
  std::string CommitPut(std::string_view upload_id) override {
    const auto done = Guard([&] { return store_.Commit(upload_id); });
    return nlohmann::json{{"key", done.key}, {"size", done.size}}.dump();
  }
  void AbortPut(std::string_view upload_id) override {
    Guard([&] { store_.Abort(upload_id); });
  }
  std::string List(std::string_view prefix, std::string_view cursor, uint32_t limit) override {
    const auto items = Guard([&] { return store_.List(prefix, cursor, std::min(limit, 1000u)); });
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [k, size] : items) list.push_back({{"key", k}, {"size", size}});
    nlohmann::json out = {{"items", list}};
    if (items.size() == std::min(limit, 1000u) && !items.empty())
      out["next_cursor"] = items.back().first;
    return out.dump();
  }

 private:
  BlobStore store_;
};

}  // namespace storage_local

SLOTH_PLUGIN(storage_local::LocalStorage, "storage-local", "1.0.0")
