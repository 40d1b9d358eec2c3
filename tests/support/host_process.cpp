#include "support/host_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include "support/api_contract.hpp"

extern char** environ;

namespace sloth::testing {

HttpResult HttpGet(int port, const std::string& path) {
  return HttpCall(port, "GET", path);
}

HttpResult HttpCall(int port, const std::string& method, const std::string& path,
                    const std::string& body, const std::string& bearer,
                    const std::map<std::string, std::string>& headers) {
  HttpResult r;
  try {
    Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port));
    s.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    if (!bearer.empty()) req.set("Authorization", "Bearer " + bearer);
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty()) {
      if (!req.has("Content-Type")) req.setContentType("application/json");
      req.setContentLength64(static_cast<Poco::Int64>(body.size()));
    }
    s.sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    auto& in = s.receiveResponse(resp);
    Poco::StreamCopier::copyToString(in, r.body);
    r.status = resp.getStatus();
    for (const auto& [k, v] : resp) r.headers[k] = v;
  } catch (const std::exception&) {
    r.status = 0;
  }
  // Every answer a test receives is held to the API contract.
  const auto type = r.headers.find("Content-Type");
  if (auto why = CheckAnswer(method, path, r.status, type == r.headers.end() ? "" : type->second,
                             r.body)) {
    ADD_FAILURE() << "contract (host/api/openapi.yaml): " << *why << "\n"
                  << method << " " << path << " -> " << r.status << " " << r.body.substr(0, 2000);
  }
  return r;
}

std::set<std::string> BuiltPluginIds(const std::string& plugin_dir,
                                     std::initializer_list<const char*> extra) {
  std::set<std::string> ids(extra.begin(), extra.end());
  for (const auto& e : std::filesystem::directory_iterator(plugin_dir)) {
    if (std::filesystem::exists(e.path() / "plugin.json")) ids.insert(e.path().filename().string());
  }
  return ids;
}

std::string WriteTempFile(const std::string& text, const std::string& suffix) {
  std::string templ = "/tmp/sloth-test-XXXXXX" + suffix;
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  const int fd = mkstemps(buf.data(), static_cast<int>(suffix.size()));
  if (fd < 0) throw std::runtime_error("mkstemps failed");
  close(fd);
  std::ofstream(buf.data()) << text;
  return buf.data();
}

HostProcess::HostProcess(const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env) {
  log_path_ = WriteTempFile("", ".log");
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    const auto eq = kv.find('=');
    if (eq != std::string::npos) merged[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : env) merged[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : merged) env_strings.push_back(k + "=" + v);

  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int fd = open(log_path_.c_str(), O_WRONLY | O_TRUNC);
    dup2(fd, 1);
    dup2(fd, 2);
    // The parent (a gtest binary) may block signals; the host expects a clean mask.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
}

HostProcess::~HostProcess() {
  if (Running()) {
    kill(pid_, SIGKILL);
    Wait(std::chrono::milliseconds(5000));
  }
  unlink(log_path_.c_str());
}

bool HostProcess::Running() {
  if (exit_status_ != -1 || pid_ <= 0) return false;
  int st = 0;
  const pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    exit_status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return false;
  }
  return true;
}

bool HostProcess::WaitFor(int port, const std::string& path, int status,
                          std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!Running()) return false;
    if (HttpGet(port, path).status == status) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

void HostProcess::Signal(int sig) {
  if (pid_ > 0) kill(pid_, sig);
}

int HostProcess::Wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Running()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid_, SIGKILL);
      int st = 0;
      waitpid(pid_, &st, 0);
      exit_status_ = -2;
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return exit_status_;
}

std::string HostProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

MultipartUpload Multipart(const std::string& filename, const std::string& data,
                          const std::string& title) {
  const std::string boundary = "----sloth-test-boundary-7MA4YWxk";
  MultipartUpload m;
  if (!title.empty()) {
    m.body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n" +
              title + "\r\n";
  }
  m.body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
            filename + "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + data + "\r\n--" +
            boundary + "--\r\n";
  m.headers = {{"Content-Type", "multipart/form-data; boundary=" + boundary}};
  return m;
}

}  // namespace sloth::testing
