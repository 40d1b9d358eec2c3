// Entry point and wiring only: the exports for the EchoChannel class.
#include "echo_channel.hpp"

SLOTH_PLUGIN(echo::EchoChannel, "echo", "1.0.0")
