// Entry point and wiring only: the exports for the StripePayment class.
#include "stripe_payment.hpp"

SLOTH_PLUGIN(stripe::StripePayment, "stripe", "1.0.0")
