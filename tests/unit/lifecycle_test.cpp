// The subscription state machine of subscription_lifecycle.hpp as a table: for each state
// and provider event, the transition the lifecycle applies.

#include <gtest/gtest.h>

#include "billing/subscription_lifecycle.hpp"

namespace sloth::billing {
namespace {

using K = Transition::Kind;

struct Row {
  const char* status;
  const char* event;
  const char* provider_status;
  bool current;
  K kind;
  const char* next;  // the status after (for kEnd: the ended status)
};

TEST(LifecycleTransitions, EveryStateAndEvent) {
  const Row rows[] = {
      // A paid checkout activates whatever came before, even a replaced subscription.
      {"trialing", "checkout.session.completed", "", false, K::kCheckout, "active"},
      {"active", "checkout.session.completed", "", true, K::kCheckout, "active"},
      {"past_due", "checkout.session.completed", "", false, K::kCheckout, "active"},
      // Events about a subscription the organisation replaced change nothing.
      {"active", "invoice.paid", "", false, K::kIgnore, "active"},
      {"active", "customer.subscription.deleted", "", false, K::kIgnore, "active"},
      // Ends.
      {"active", "customer.subscription.deleted", "", true, K::kEnd, "canceled"},
      {"past_due", "customer.subscription.updated", "canceled", true, K::kEnd, "canceled"},
      {"past_due", "customer.subscription.updated", "unpaid", true, K::kEnd, "unpaid"},
      {"active", "customer.subscription.created", "unpaid", true, K::kEnd, "unpaid"},
      // The provider's status is taken when it is one we know, else the status stays.
      {"active", "customer.subscription.updated", "past_due", true, K::kUpdate, "past_due"},
      {"past_due", "customer.subscription.updated", "active", true, K::kUpdate, "active"},
      {"trialing", "customer.subscription.updated", "trialing", true, K::kUpdate, "trialing"},
      {"active", "customer.subscription.updated", "incomplete", true, K::kUpdate, "active"},
      {"active", "customer.subscription.updated", "", true, K::kUpdate, "active"},
      // Invoices.
      {"past_due", "invoice.paid", "", true, K::kPaid, "active"},
      {"active", "invoice.payment_succeeded", "", true, K::kPaid, "active"},
      {"active", "invoice.payment_failed", "", true, K::kPastDue, "past_due"},
      {"past_due", "invoice.payment_failed", "", true, K::kPastDue, "past_due"},
      // Anything else is recorded and ignored.
      {"active", "charge.refunded", "", true, K::kIgnore, "active"},
  };
  for (const auto& r : rows) {
    const auto t = OnPaymentEvent(r.status, r.event, r.provider_status, r.current);
    EXPECT_EQ(t.kind, r.kind) << r.status << " + " << r.event << " (" << r.provider_status << ")";
    EXPECT_EQ(t.status, r.next) << r.status << " + " << r.event << " (" << r.provider_status << ")";
  }
}

TEST(LifecycleTransitions, IgnoredEventsSayWhy) {
  EXPECT_EQ(OnPaymentEvent("active", "invoice.paid", "", false).reason,
            "not the organisation's current subscription");
  EXPECT_EQ(OnPaymentEvent("active", "charge.refunded", "", true).reason,
            "unhandled type charge.refunded");
}

}  // namespace
}  // namespace sloth::billing
