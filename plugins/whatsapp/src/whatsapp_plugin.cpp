// Entry point and wiring only: the exports for the WhatsAppChannel class.
#include "whatsapp_channel.hpp"

SLOTH_PLUGIN(whatsapp::WhatsAppChannel, "whatsapp", "1.0.0")
