// Entry point and wiring only: the exports for the TelegramChannel class.
#include "telegram_channel.hpp"

SLOTH_PLUGIN(telegram::TelegramChannel, "telegram", "1.0.0")
