#include "bench_channel.hpp"

SLOTH_PLUGIN(bench::BenchChannel, "bench", "1.0.0")
