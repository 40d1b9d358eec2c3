// Document uploads through the real HTTP path into storage-local, against a real
// PostgreSQL: aggregate MB/s and the host's peak memory while `c` uploads of `size` MB run
// at once. Ingestion workers are off, so the figure is the upload path alone. Client and
// host share the process; the client sends from one buffer made before the baseline.
//
//   upload_benchmark DATABASE_URL [SIZE_MB] [MAX_CONCURRENCY]

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/host_app.hpp"

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
constexpr const char* kBoundary = "----sloth-bench-boundary";

// kB of one line of /proc/self/status ("VmRSS", "VmHWM").
long StatusKb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  }
  return -1;
}

// Resets VmHWM to the current RSS (Linux >= 4.0), so each round measures its own peak.
void ResetPeak() {
  std::ofstream("/proc/self/clear_refs") << "5";
}

std::string Yaml(const std::string& url, const std::string& data_dir, std::size_t max_bytes) {
  return "http:\n  host: 127.0.0.1\n  port: 0\ndatabase:\n  url: \"" + url +
         "\"\n  pool_size: 16\nplans_file: " SLOTH_SOURCE_DIR
         "/config/plans.yaml\nauth:\n  jwt_secret: bench-secret-0123456789-abcdefghijklmnop\n"
         "secrets:\n  master_key: \"" +
         std::string(64, 'b') +
         "\"\nrate_limits:\n  anonymous_per_hour: 1000000\njobs:\n  workers: false\n"
         "scheduler:\n  enabled: false\nknowledge:\n  max_upload_bytes: " +
         std::to_string(max_bytes) +
         "\nplugins:\n  dirs: [\"" SLOTH_PLUGIN_DIR
         "\"]\n  config:\n    storage-local: {data_dir: \"" +
         data_dir + "\"}\nlog:\n  level: error\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DATABASE_URL [SIZE_MB] [MAX_CONCURRENCY]\n", argv[0]);
    return 2;
  }
  const std::string url = argv[1];
  const std::size_t size = static_cast<std::size_t>(argc > 2 ? std::stoi(argv[2]) : 20) << 20;
  const int max_c = argc > 3 ? std::stoi(argv[3]) : 8;
  const auto data_dir =
      std::filesystem::temp_directory_path() / ("sloth-upload-bench-" + std::to_string(getpid()));
  auto env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  sloth::app::HostApp host(
      sloth::config::ParseHostConfig(Yaml(url, data_dir.string(), size + 1024), "b.yaml", env));
  host.Start();
  const int port = host.port();

  // The multipart body of one upload: a text file of `size` bytes.
  std::string body = std::string("--") + kBoundary +
                     "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.txt\"\r\n"
                     "Content-Type: text/plain\r\n\r\n";
  const std::string line = "Gel polish manicure, lash lift and brow lamination for everyone.\n";
  while (body.size() < size) body += line;
  body.resize(size);  // the whole body is `size` bytes plus the closing boundary
  body += std::string("\r\n--") + kBoundary + "--\r\n";

  std::printf(
      "| concurrent uploads | MB each | aggregate MB/s | host peak RSS growth MB | "
      "bodies in flight MB | failed |\n|---|---|---|---|---|---|\n");
  int org = 0;
  for (int c = 1; c <= max_c; c *= 2) {
    // An organisation per round keeps each within its plan's storage quota.
    Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port));
    const std::string reg = json{
        {"email", "bench" + std::to_string(++org) + "@upload.bench"},
        {"password", "a long passphrase 42"},
        {"organization_name", "Bench"},
        {"plan", "starter"}}.dump();
    Poco::Net::HTTPRequest rr("POST", "/api/auth/register", Poco::Net::HTTPMessage::HTTP_1_1);
    rr.setContentType("application/json");
    rr.setContentLength64(static_cast<Poco::Int64>(reg.size()));
    s.sendRequest(rr) << reg;
    Poco::Net::HTTPResponse rresp;
    std::string out;
    Poco::StreamCopier::copyToString(s.receiveResponse(rresp), out);
    const std::string token = json::parse(out).at("access_token");

    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ResetPeak();
    const long base = StatusKb("VmRSS");
    std::atomic<int> failed{0};
    const auto t0 = Clock::now();
    std::vector<std::thread> threads;
    for (int i = 0; i < c; ++i) {
      threads.emplace_back([&] {
        try {
          Poco::Net::HTTPClientSession u("127.0.0.1", static_cast<Poco::UInt16>(port));
          u.setTimeout(Poco::Timespan(120, 0));
          Poco::Net::HTTPRequest req("POST", "/api/documents/upload",
                                     Poco::Net::HTTPMessage::HTTP_1_1);
          req.set("Authorization", "Bearer " + token);
          req.setContentType(std::string("multipart/form-data; boundary=") + kBoundary);
          req.setContentLength64(static_cast<Poco::Int64>(body.size()));
          u.sendRequest(req).write(body.data(), static_cast<std::streamsize>(body.size()));
          Poco::Net::HTTPResponse resp;
          std::string sink;
          Poco::StreamCopier::copyToString(u.receiveResponse(resp), sink);
          if (resp.getStatus() != 202) ++failed;
        } catch (const std::exception&) {
          ++failed;
        }
      });
    }
    for (auto& t : threads) t.join();
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    const long peak = StatusKb("VmHWM");
    std::printf("| %d | %zu | %.1f | %.1f | %zu | %d |\n", c, size >> 20,
                static_cast<double>(c) * static_cast<double>(size >> 20) / secs,
                static_cast<double>(peak - base) / 1024.0,
                (static_cast<std::size_t>(c) * size) >> 20, failed.load());
  }
  host.Stop();
  std::filesystem::remove_all(data_dir);
  return 0;
}
