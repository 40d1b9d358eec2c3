#include "log/log.hpp"

#include <chrono>
#include <mutex>
#include <stdexcept>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <nlohmann/json.hpp>

#include "privacy/pii.hpp"

namespace sloth::log {
namespace {

// One JSON object per line; the message is escaped by nlohmann so no input can break the
// line structure a log shipper relies on.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count();
    nlohmann::json j;
    j["ts_ms"] = ms;
    const auto lv = spdlog::level::to_string_view(msg.level);
    j["level"] = std::string(lv.data(), lv.size());
    j["logger"] = std::string(msg.logger_name.data(), msg.logger_name.size());
    j["msg"] = std::string(msg.payload.data(), msg.payload.size());
    j["thread"] = msg.thread_id;
    const std::string line =
        j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

// Every line's message with the personal data a client may have written masked
// (privacy/pii.hpp): logs are read by operators, not by the salon.
class MaskingSink final : public spdlog::sinks::sink {
 public:
  explicit MaskingSink(spdlog::sink_ptr inner) : inner_(std::move(inner)) {}
  void log(const spdlog::details::log_msg& msg) override {
    const std::string masked =
        privacy::MaskPii(std::string_view(msg.payload.data(), msg.payload.size()));
    spdlog::details::log_msg copy(msg);
    copy.payload = spdlog::string_view_t(masked.data(), masked.size());
    inner_->log(copy);
  }
  void flush() override { inner_->flush(); }
  void set_pattern(const std::string& pattern) override { inner_->set_pattern(pattern); }
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override {
    inner_->set_formatter(std::move(formatter));
  }

 private:
  spdlog::sink_ptr inner_;
};

std::mutex g_mutex;
spdlog::sink_ptr g_sink;
spdlog::level::level_enum g_level = spdlog::level::info;

spdlog::sink_ptr Sink() {
  if (!g_sink) {
    g_sink = std::make_shared<MaskingSink>(std::make_shared<spdlog::sinks::stderr_sink_mt>());
    g_sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v");
  }
  return g_sink;
}

}  // namespace

void Setup(const std::string& level, const std::string& format) {
  std::lock_guard<std::mutex> lock(g_mutex);
  const auto lv = spdlog::level::from_str(level);
  if (lv == spdlog::level::off && level != "off") {
    throw std::invalid_argument("unknown log level '" + level + "'");
  }
  auto sink = Sink();
  if (format == "json") {
    sink->set_formatter(std::make_unique<JsonFormatter>());
  } else if (format == "text") {
    sink->set_formatter(
        std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v"));
  } else {
    throw std::invalid_argument("unknown log format '" + format + "'");
  }
  g_level = lv;
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) { l->set_level(lv); });
  auto def = std::make_shared<spdlog::logger>("sloth", sink);
  def->set_level(lv);
  spdlog::set_default_logger(def);
}

std::shared_ptr<spdlog::logger> Get(const std::string& name) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (auto existing = spdlog::get(name)) return existing;
  auto l = std::make_shared<spdlog::logger>(name, Sink());
  l->set_level(g_level);
  spdlog::register_logger(l);
  return l;
}

std::string Field(std::string_view value) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(value.size());
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f || c == '\\' || c == '"') {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace sloth::log
