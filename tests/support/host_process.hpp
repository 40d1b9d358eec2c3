#pragma once

// Runs the real sloth-host binary as a child process for end-to-end tests: the same
// executable, config loading and signal handling a deployment has.

#include <sys/types.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace sloth::testing {

struct HttpResult {
  int status = 0;  // 0 when the connection failed
  std::string body;
  std::map<std::string, std::string> headers;
};

// One GET on 127.0.0.1:port.
HttpResult HttpGet(int port, const std::string& path);
// Any request on 127.0.0.1:port; `bearer` adds an Authorization header.
HttpResult HttpCall(int port, const std::string& method, const std::string& path,
                    const std::string& body = "", const std::string& bearer = "",
                    const std::map<std::string, std::string>& headers = {});

// A multipart/form-data body with one `file` part (and a `title` part when given), and the
// Content-Type header that goes with it: what POST /api/documents/upload takes.
struct MultipartUpload {
  std::string body;
  std::map<std::string, std::string> headers;
};
MultipartUpload Multipart(const std::string& filename, const std::string& data,
                          const std::string& title = "");

class HostProcess {
 public:
  // Starts `binary args...` with the current environment plus `env`; stderr and stdout go
  // to a log file readable through Log().
  HostProcess(const std::vector<std::string>& args, const std::map<std::string, std::string>& env);
  ~HostProcess();
  HostProcess(const HostProcess&) = delete;
  HostProcess& operator=(const HostProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Polls `path` until it answers `status`; false on timeout or if the process exited.
  bool WaitFor(int port, const std::string& path, int status, std::chrono::milliseconds timeout);
  void Signal(int sig);
  // Exit status, or -1 if it did not exit in time (it is then killed).
  int Wait(std::chrono::milliseconds timeout);
  bool Running();
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  int exit_status_ = -1;
  std::string log_path_;
};

// The ids of the plugins built in this tree (SLOTH_PLUGIN_DIR/<id>/plugin.json) plus `extra`.
std::set<std::string> BuiltPluginIds(const std::string& plugin_dir,
                                     std::initializer_list<const char*> extra = {});

// Writes `text` to a fresh temporary file and returns its path.
std::string WriteTempFile(const std::string& text, const std::string& suffix = ".yaml");

}  // namespace sloth::testing
