// sloth-host: the Sloth platform host process.
//
//   sloth-host [--config FILE] [serve]    run the HTTP host (default)
//   sloth-host [--config FILE] migrate    apply pending public and tenant migrations, exit
//   sloth-host [--config FILE] check      validate the config file, exit

#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <iostream>
#include <string>

#include <spdlog/spdlog.h>

#include "app/host_app.hpp"
#include "config/host_config.hpp"
#include "log/log.hpp"

namespace {

int Usage() {
  std::cerr << "usage: sloth-host [--config FILE] [serve|migrate|check]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path = "config/host.yaml";
  std::string command = "serve";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--config" || a == "-c") && i + 1 < argc) {
      config_path = argv[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      config_path = a.substr(9);
    } else if (a == "serve" || a == "migrate" || a == "check") {
      command = a;
    } else if (a == "--help" || a == "-h") {
      Usage();
      return 0;
    } else {
      return Usage();
    }
  }

  sloth::config::HostConfig cfg;
  try {
    cfg = sloth::config::LoadHostConfig(config_path);
    sloth::log::Setup(cfg.log.level, cfg.log.format);
  } catch (const std::exception& e) {
    std::cerr << "sloth-host: invalid configuration: " << e.what() << "\n";
    return 2;
  }
  if (command == "check") {
    std::cout << config_path << ": ok\n";
    return 0;
  }

  // Block the termination signals in every thread; this thread collects them with sigwait
  // so shutdown runs in ordinary code, not in a signal handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  try {
    sloth::app::HostApp app(cfg);
    if (command == "migrate") {
      const int n = app.migrator().MigratePublic();
      const int t = app.migrator().MigrateTenants(4, [](int done, int total) {
        spdlog::info("tenant schemas migrated: {}/{}", done, total);
      });
      spdlog::info("applied {} public and {} tenant migration(s)", n, t);
      return 0;
    }
    app.Start();
    spdlog::info("sloth-host listening on http://{}:{}", cfg.http.host, app.port());
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("received {}; stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
    app.Stop();
    spdlog::info("stopped");
    return 0;
  } catch (const sloth::config::ConfigError& e) {
    std::cerr << "sloth-host: invalid configuration: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    spdlog::critical("sloth-host: {}", e.what());
    return 1;
  }
}
