#pragma once

// The worker half of the pipeline, two jobs per burst:
//   `channels.process` turns a chat's pending events into conversation messages and counts
//     them against the plan, in one transaction; it queues the answer (or, past the plan's
//     limit, stores the limit reply without calling any model, with a send job);
//   `channels.answer` (staged) runs the agent's turn with no transaction open, stores the
//     reply — watermarked on plans that say so — and then delivers it like a send job;
//   `channels.send` (staged) delivers a stored message (the limit reply, a staff reply, a
//     reminder): hands it to the channel plugin and records the provider's id, or retries
//     after the provider's retry_after, or records the refusal.
// A conversation a person has taken over (mode human) gets no agent answer.

#include <map>
#include <optional>
#include <string>

#include "agent/agent.hpp"
#include "conversations/conversation_repository.hpp"
#include "integrations/integration_runtime.hpp"
#include "jobs/worker_pool.hpp"

namespace sloth::channels {

struct WorkerOptions {
  std::string limit_reply;
  std::string watermark;  // appended on plans with watermark: true
};

// Queues the delivery of stored outbound message `message` through its conversation's
// channel (the job is `channels.send`, with its retry rules). The job is added with the
// COMMIT of `tx`.
void EnqueueSend(db::Transaction& tx, std::int64_t tenant, std::int64_t message);

class ChannelWorker {
 public:
  ChannelWorker(integrations::IntegrationRuntime& runtime, agent::Agent& agent,
                WorkerOptions options)
      : runtime_(runtime), agent_(agent), options_(std::move(options)) {}
  void Register(jobs::WorkerPool& jobs);
  // A button answer (callback data) starting with `prefix` is handed to a job of `kind`
  // ({conversation_id, data, message_id}) instead of the assistant: e.g. a reminder's
  // Confirm / Reschedule / Cancel. Register before serving.
  void RouteCallbacks(const std::string& prefix, const std::string& kind) {
    callback_routes_[prefix] = kind;
  }

  void Process(jobs::JobContext& ctx);
  void Answer(jobs::StagedJobContext& ctx);
  void Send(jobs::StagedJobContext& ctx);

 private:
  // A stored outbound message and the integration it goes through, as read before sending.
  struct Delivery {
    std::optional<conversations::Outbound> message;
    std::optional<integrations::Integration> integration;
  };
  // Sends message `id` unless it is no longer pending, and finishes the job with the outcome
  // (sent, or refused for good); throws for a retry.
  void Deliver(jobs::StagedJobContext& ctx, std::int64_t id, const Delivery& d);

  integrations::IntegrationRuntime& runtime_;
  // The job kind a routed callback goes to.
  std::optional<std::string> RouteOf(const conversations::InboundEvent& e) const;

  agent::Agent& agent_;
  WorkerOptions options_;
  std::map<std::string, std::string> callback_routes_;
};

}  // namespace sloth::channels
