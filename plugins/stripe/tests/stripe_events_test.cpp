// The Stripe plugin's pure parts: signature checking, form encoding, event mapping.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "events.hpp"
#include "form.hpp"
#include "signature.hpp"

namespace stripe {
namespace {

using json = nlohmann::json;

TEST(StripeSignature, AcceptsAnyMatchingV1WithinTolerance) {
  const std::string body = R"({"id":"evt_1"})";
  const std::string good = Sign(1000, body, "whsec_a");
  EXPECT_EQ(VerifySignature("t=1000,v1=" + good, body, "whsec_a", 1300, 300), SignatureCheck::kOk);
  // A rotated secret: Stripe sends one v1 per secret; any match is enough.
  EXPECT_EQ(VerifySignature("t=1000,v1=" + std::string(64, '0') + ",v1=" + good + ",v0=zz", body,
                            "whsec_a", 1000, 300),
            SignatureCheck::kOk);
  EXPECT_EQ(VerifySignature("t=1000,v1=" + good, body, "whsec_a", 1301, 300),
            SignatureCheck::kTooOld);
  EXPECT_EQ(VerifySignature("t=1000,v1=" + good, body + " ", "whsec_a", 1000, 300),
            SignatureCheck::kNoMatch);
  EXPECT_EQ(VerifySignature("t=1000,v0=" + good, body, "whsec_a", 1000, 300),
            SignatureCheck::kMalformed);
  EXPECT_EQ(VerifySignature("t=10x0,v1=" + good, body, "whsec_a", 1000, 300),
            SignatureCheck::kMalformed);
  EXPECT_EQ(VerifySignature("", body, "whsec_a", 1000, 300), SignatureCheck::kMalformed);
}

TEST(StripeForm, BracketsForNestingAndEncodedValues) {
  const json p = {{"mode", "subscription"},
                  {"line_items", json::array({{{"price", "price_1"}, {"quantity", 1}}})},
                  {"metadata", {{"org id", "4&2"}}},
                  {"flag", true}};
  EXPECT_EQ(FormEncode(p),
            "flag=true&line_items[0][price]=price_1&line_items[0][quantity]=1&metadata[org%20id]="
            "4%262&mode=subscription");
}

TEST(StripeEvents, MapsSubscriptionAndInvoiceShapesOfOldAndNewApiVersions) {
  const json prices = {{"starter", {{"monthly", "price_s_m"}, {"yearly", "price_s_y"}}}};
  // 2025 API: the period lives on the item.
  const json updated = {{"id", "evt_1"},
                        {"type", "customer.subscription.updated"},
                        {"data",
                         {{"object",
                           {{"id", "sub_1"},
                            {"customer", "cus_1"},
                            {"status", "past_due"},
                            {"cancel_at_period_end", false},
                            {"metadata", {{"org_id", "7"}}},
                            {"items",
                             {{"data", json::array({{{"current_period_start", 10},
                                                     {"current_period_end", 20},
                                                     {"price", {{"id", "price_s_y"}}}}})}}}}}}}};
  const json u = NormalizeEvent(updated, prices)["data"];
  EXPECT_EQ(u["subscription"], "sub_1");
  EXPECT_EQ(u["status"], "past_due");
  EXPECT_EQ(u["tenant_id"], "7");
  EXPECT_EQ(u["plan"], "starter");
  EXPECT_EQ(u["cycle"], "yearly");
  EXPECT_EQ(u["current_period_end"], 20);

  const json invoice = {
      {"id", "evt_2"},
      {"type", "invoice.paid"},
      {"data",
       {{"object",
         {{"id", "in_1"},
          {"customer", {{"id", "cus_1"}, {"object", "customer"}}},
          {"parent", {{"subscription_details", {{"subscription", "sub_9"}}}}},
          {"lines", {{"data", json::array({{{"period", {{"start", 30}, {"end", 40}}}}})}}}}}}}};
  const json i = NormalizeEvent(invoice, prices)["data"];
  EXPECT_EQ(i["subscription"], "sub_9");
  EXPECT_EQ(i["customer"], "cus_1");
  EXPECT_EQ(i["current_period_start"], 30);
  EXPECT_EQ(i["current_period_end"], 40);

  // A checkout whose payment is still pending is not a paid subscription yet.
  const json pending = {
      {"id", "evt_3"},
      {"type", "checkout.session.completed"},
      {"data", {{"object", {{"mode", "subscription"}, {"payment_status", "unpaid"}}}}}};
  EXPECT_EQ(NormalizeEvent(pending, prices)["type"], "checkout.session.completed_unpaid");
  // Not an object at all: id and type survive, no data.
  EXPECT_TRUE(NormalizeEvent({{"id", "evt_4"}, {"type", "x"}}, prices)["data"].empty());
}

// Found by fuzz/stripe_event_fuzz.cpp: an event that is not an object, or string fields of
// another type, threw from the normalisation instead of yielding an empty event.
TEST(StripeEvents, EventsOfTheWrongShapeNormaliseToNothing) {
  const json prices = {{"starter", {{"monthly", "price_m"}, {"yearly", "price_y"}}}};
  const auto n = NormalizeEvent(json(0), prices);
  EXPECT_EQ(n["type"], "");
  EXPECT_TRUE(n["data"].empty());
  const auto typed =
      NormalizeEvent(json::parse(R"({"id":5,"type":"checkout.session.completed","data":{"object":)"
                                 R"({"mode":1,"payment_status":[]}}})"),
                     prices);
  EXPECT_EQ(typed["id"], "");
  EXPECT_EQ(typed["type"], "checkout.session.completed_unpaid");
}

}  // namespace
}  // namespace stripe
