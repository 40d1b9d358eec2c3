#pragma once

// The worker half of the pipeline. `channels.process` turns a chat's pending events into
// conversation messages, counts them against the plan and stores a reply with its
// `channels.send` job, all in one transaction; `channels.send` (a staged job: no
// transaction while the provider is called) hands the reply to the channel plugin and
// records the provider's id — or retries after the provider's retry_after, or records why
// the provider refused it.

#include <string>

#include "agent/offline_answerer.hpp"
#include "integrations/integration_runtime.hpp"
#include "jobs/worker_pool.hpp"

namespace sloth::channels {

struct WorkerOptions {
  std::string limit_reply;
};

class ChannelWorker {
 public:
  ChannelWorker(integrations::IntegrationRuntime& runtime, WorkerOptions options)
      : runtime_(runtime), options_(std::move(options)) {}
  void Register(jobs::WorkerPool& jobs);

  void Process(jobs::JobContext& ctx);
  void Send(jobs::StagedJobContext& ctx);

 private:
  integrations::IntegrationRuntime& runtime_;
  WorkerOptions options_;
};

}  // namespace sloth::channels
