// The typed calls of each plugin kind (channel, llm, embedder, vision, calendar, storage,
// payment), all made safe by PluginInstance::Invoke: one function per operation of the ABI.

#include <spdlog/spdlog.h>

#include "plugins/abi_views.hpp"
#include "plugins/plugin_instance.hpp"

namespace sloth::plugins {

CallOutcome PluginInstance::ChannelWebhook(const Webhook& request) {
  SLOTH_REQUIRE_KIND(channel);
  return Invoke("webhook", Output::kJson, [api = plugin_->api, request](void* h, sloth_call* c) {
    WebhookViews v(request);
    return api->channel->webhook(h, c, &v.req);
  });
}

CallOutcome PluginInstance::Send(const std::string& message_json) {
  SLOTH_REQUIRE_KIND(channel);
  return Invoke("send", Output::kJson, [api = plugin_->api, message_json](void* h, sloth_call* c) {
    return api->channel->send(h, c, View(message_json));
  });
}

CallOutcome PluginInstance::Poll(std::uint32_t timeout_ms) {
  SLOTH_REQUIRE_KIND(channel);
  if (!plugin_->api->channel->poll) return Refused(SLOTH_UNSUPPORTED, "poll is not provided");
  return Invoke("poll", Output::kJson, [api = plugin_->api, timeout_ms](void* h, sloth_call* c) {
    return api->channel->poll(h, c, timeout_ms);
  });
}

CallOutcome PluginInstance::Connect(const std::string& request_json) {
  SLOTH_REQUIRE_KIND(channel);
  if (!plugin_->api->channel->connect) return Refused(SLOTH_UNSUPPORTED, "connect is not provided");
  return Invoke("connect", Output::kJson,
                [api = plugin_->api, request_json](void* h, sloth_call* c) {
                  return api->channel->connect(h, c, View(request_json));
                });
}

CallOutcome PluginInstance::Disconnect() {
  if (plugin_->api->calendar && !plugin_->api->channel) return CalendarDisconnect();
  SLOTH_REQUIRE_KIND(channel);
  if (!plugin_->api->channel->disconnect) {
    return Refused(SLOTH_UNSUPPORTED, "disconnect is not provided");
  }
  return Invoke("disconnect", Output::kNone, [api = plugin_->api](void* h, sloth_call* c) {
    return api->channel->disconnect(h, c);
  });
}

CallOutcome PluginInstance::Chat(const std::string& request_json) {
  SLOTH_REQUIRE_KIND(llm);
  return Invoke("chat", Output::kJson, [api = plugin_->api, request_json](void* h, sloth_call* c) {
    return api->llm->chat(h, c, View(request_json));
  });
}

CallOutcome PluginInstance::Embed(const std::vector<std::string>& texts,
                                  std::vector<float>& vectors, std::uint32_t& dimension) {
  SLOTH_REQUIRE_KIND(embedder);
  auto result = std::make_shared<std::pair<std::uint32_t, std::vector<float>>>();
  auto out = Invoke("embed", Output::kNone,
                    [api = plugin_->api, texts, result](void* h, sloth_call* c) -> std::int32_t {
                      const std::uint32_t dim = api->embedder->dimension(h);
                      if (dim == 0 || dim > 65536) {
                        c->error = "embedder reported dimension " + std::to_string(dim);
                        return SLOTH_INTERNAL;
                      }
                      std::vector<sloth_str> views;
                      views.reserve(texts.size());
                      for (const auto& t : texts) views.push_back(View(t));
                      std::vector<float> v(texts.size() * dim);
                      const auto s =
                          api->embedder->embed(h, c, views.data(), views.size(), v.data());
                      if (s == SLOTH_OK) *result = {dim, std::move(v)};
                      return s;
                    });
  if (out.ok()) {
    dimension = result->first;
    vectors = std::move(result->second);
  }
  return out;
}

CallOutcome PluginInstance::Analyze(const std::string& image, const std::string& content_type,
                                    const std::string& options_json) {
  SLOTH_REQUIRE_KIND(vision);
  return Invoke("analyze", Output::kJson,
                [api = plugin_->api, image, content_type, options_json](void* h, sloth_call* c) {
                  return api->vision->analyze(h, c, Bytes(image), View(content_type),
                                              View(options_json));
                });
}

CallOutcome PluginInstance::FreeBusy(const std::string& request_json) {
  SLOTH_REQUIRE_KIND(calendar);
  return Invoke("free_busy", Output::kJson,
                [api = plugin_->api, request_json](void* h, sloth_call* c) {
                  return api->calendar->free_busy(h, c, View(request_json));
                });
}

CallOutcome PluginInstance::CreateEvent(const std::string& event_json) {
  SLOTH_REQUIRE_KIND(calendar);
  return Invoke("create_event", Output::kJson,
                [api = plugin_->api, event_json](void* h, sloth_call* c) {
                  return api->calendar->create_event(h, c, View(event_json));
                });
}

CallOutcome PluginInstance::UpdateEvent(const std::string& event_json) {
  SLOTH_REQUIRE_KIND(calendar);
  return Invoke("update_event", Output::kJson,
                [api = plugin_->api, event_json](void* h, sloth_call* c) {
                  return api->calendar->update_event(h, c, View(event_json));
                });
}

CallOutcome PluginInstance::DeleteEvent(const std::string& calendar_id,
                                        const std::string& event_id) {
  SLOTH_REQUIRE_KIND(calendar);
  return Invoke("delete_event", Output::kNone,
                [api = plugin_->api, calendar_id, event_id](void* h, sloth_call* c) {
                  return api->calendar->delete_event(h, c, View(calendar_id), View(event_id));
                });
}

// ABI 1.3 calendar operations: a plugin built for an older header has a shorter table.
#define SLOTH_REQUIRE_CALENDAR_OP(field)                                                          \
  SLOTH_REQUIRE_KIND(calendar);                                                                   \
  if (!SLOTH_HAS_FIELD(plugin_->api->calendar, sloth_calendar_ops, field) ||                      \
      !plugin_->api->calendar->field) {                                                           \
    return Refused(SLOTH_UNSUPPORTED, "plugin " + plugin_->manifest.id + " provides no " #field); \
  }

CallOutcome PluginInstance::AuthorizeUrl(const std::string& request_json) {
  SLOTH_REQUIRE_CALENDAR_OP(authorize_url);
  return Invoke("authorize_url", Output::kJson,
                [api = plugin_->api, request_json](void* h, sloth_call* c) {
                  return api->calendar->authorize_url(h, c, View(request_json));
                });
}

CallOutcome PluginInstance::ExchangeCode(const std::string& request_json) {
  SLOTH_REQUIRE_CALENDAR_OP(exchange_code);
  return Invoke("exchange_code", Output::kJson,
                [api = plugin_->api, request_json](void* h, sloth_call* c) {
                  return api->calendar->exchange_code(h, c, View(request_json));
                });
}

CallOutcome PluginInstance::ListEvents(const std::string& request_json) {
  SLOTH_REQUIRE_CALENDAR_OP(list_events);
  return Invoke("list_events", Output::kJson,
                [api = plugin_->api, request_json](void* h, sloth_call* c) {
                  return api->calendar->list_events(h, c, View(request_json));
                });
}

CallOutcome PluginInstance::CalendarDisconnect() {
  SLOTH_REQUIRE_CALENDAR_OP(disconnect);
  return Invoke("calendar_disconnect", Output::kNone, [api = plugin_->api](void* h, sloth_call* c) {
    return api->calendar->disconnect(h, c);
  });
}

#undef SLOTH_REQUIRE_CALENDAR_OP

CallOutcome PluginInstance::Put(const std::string& key, const std::string& data,
                                const std::string& content_type) {
  SLOTH_REQUIRE_KIND(storage);
  return Invoke("put", Output::kJson,
                [api = plugin_->api, key, data, content_type](void* h, sloth_call* c) {
                  return api->storage->put(h, c, View(key), Bytes(data), View(content_type));
                });
}

CallOutcome PluginInstance::Get(const std::string& key) {
  SLOTH_REQUIRE_KIND(storage);
  return Invoke("get", Output::kBytes, [api = plugin_->api, key](void* h, sloth_call* c) {
    return api->storage->get(h, c, View(key));
  });
}

CallOutcome PluginInstance::Remove(const std::string& key) {
  SLOTH_REQUIRE_KIND(storage);
  return Invoke("remove", Output::kNone, [api = plugin_->api, key](void* h, sloth_call* c) {
    return api->storage->remove(h, c, View(key));
  });
}

CallOutcome PluginInstance::List(const std::string& prefix, const std::string& cursor,
                                 std::uint32_t limit) {
  SLOTH_REQUIRE_KIND(storage);
  return Invoke("list", Output::kJson,
                [api = plugin_->api, prefix, cursor, limit](void* h, sloth_call* c) {
                  return api->storage->list(h, c, View(prefix), View(cursor), limit);
                });
}

CallOutcome PluginInstance::BeginPut(const std::string& key, const std::string& content_type) {
  SLOTH_REQUIRE_KIND(storage);
  if (!SLOTH_HAS_FIELD(plugin_->api->storage, sloth_storage_ops, abort_put) ||
      !plugin_->api->storage->begin_put || !plugin_->api->storage->put_part ||
      !plugin_->api->storage->commit_put || !plugin_->api->storage->abort_put) {
    return Refused(SLOTH_UNSUPPORTED, "plugin " + plugin_->manifest.id +
                                          " was built before ABI 1.2 and does not stream writes");
  }
  return Invoke("begin_put", Output::kJson,
                [api = plugin_->api, key, content_type](void* h, sloth_call* c) {
                  return api->storage->begin_put(h, c, View(key), View(content_type));
                });
}

// Only called after BeginPut succeeded, so the table has the 1.2 fields.
CallOutcome PluginInstance::PutPart(const std::string& upload_id, std::string data) {
  SLOTH_REQUIRE_KIND(storage);
  return Invoke("put_part", Output::kNone,
                [api = plugin_->api, upload_id, data = std::move(data)](void* h, sloth_call* c) {
                  return api->storage->put_part(h, c, View(upload_id), Bytes(data));
                });
}

CallOutcome PluginInstance::CommitPut(const std::string& upload_id) {
  SLOTH_REQUIRE_KIND(storage);
  return Invoke("commit_put", Output::kJson,
                [api = plugin_->api, upload_id](void* h, sloth_call* c) {
                  return api->storage->commit_put(h, c, View(upload_id));
                });
}

CallOutcome PluginInstance::AbortPut(const std::string& upload_id) {
  SLOTH_REQUIRE_KIND(storage);
  return Invoke("abort_put", Output::kNone,
                [api = plugin_->api, upload_id](void* h, sloth_call* c) {
                  return api->storage->abort_put(h, c, View(upload_id));
                });
}

CallOutcome PluginInstance::CreateCheckout(const std::string& request_json) {
  SLOTH_REQUIRE_KIND(payment);
  return Invoke("create_checkout", Output::kJson,
                [api = plugin_->api, request_json](void* h, sloth_call* c) {
                  return api->payment->create_checkout(h, c, View(request_json));
                });
}

CallOutcome PluginInstance::PaymentWebhook(const Webhook& request) {
  SLOTH_REQUIRE_KIND(payment);
  return Invoke("payment_webhook", Output::kJson,
                [api = plugin_->api, request](void* h, sloth_call* c) {
                  WebhookViews v(request);
                  return api->payment->webhook(h, c, &v.req);
                });
}

CallOutcome PluginInstance::CancelSubscription(const std::string& request_json) {
  SLOTH_REQUIRE_KIND(payment);
  if (!SLOTH_HAS_FIELD(plugin_->api->payment, sloth_payment_ops, cancel_subscription) ||
      !plugin_->api->payment->cancel_subscription) {
    return Refused(SLOTH_UNSUPPORTED, "plugin " + plugin_->manifest.id +
                                          " was built for ABI 1.0 and cannot cancel subscriptions");
  }
  return Invoke("cancel_subscription", Output::kJson,
                [api = plugin_->api, request_json](void* h, sloth_call* c) {
                  return api->payment->cancel_subscription(h, c, View(request_json));
                });
}

#undef SLOTH_REQUIRE_KIND

}  // namespace sloth::plugins
