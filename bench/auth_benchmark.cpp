// The cost of the password hash that bounds login/s: argon2id at the parameters in use.
#include <benchmark/benchmark.h>

#include "accounts/passwords.hpp"
#include "accounts/tokens.hpp"

namespace {

void Argon2idHash(benchmark::State& state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(sloth::accounts::HashPassword("a long passphrase 42"));
}

void Argon2idVerify(benchmark::State& state) {
  const auto hash = sloth::accounts::HashPassword("a long passphrase 42");
  for (auto _ : state)
    benchmark::DoNotOptimize(sloth::accounts::VerifyPassword(hash, "a long passphrase 42"));
}

void JwtIssueAndVerify(benchmark::State& state) {
  sloth::accounts::TokenService tokens(
      {"bench-secret-0123456789-abcdefghijklmn", "sloth", "sloth-api", std::chrono::seconds(900)});
  const sloth::accounts::Principal p{42, "owner", 7, "bench-session"};
  for (auto _ : state) benchmark::DoNotOptimize(tokens.VerifyAccess(tokens.IssueAccess(p)));
}

BENCHMARK(Argon2idHash)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(Argon2idVerify)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(JwtIssueAndVerify)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
