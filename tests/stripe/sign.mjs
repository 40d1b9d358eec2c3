// Prints the Stripe-Signature header Stripe's own library produces for a payload:
//   node sign.mjs <payload-file> <secret> [timestamp]
import { readFileSync } from "node:fs";
import Stripe from "stripe";

const [payloadFile, secret, timestamp] = process.argv.slice(2);
const payload = readFileSync(payloadFile, "utf8");
const stripe = new Stripe("sk_test_unused");
const options = { payload, secret };
if (timestamp) options.timestamp = Number(timestamp);
process.stdout.write(stripe.webhooks.generateTestHeaderString(options));
