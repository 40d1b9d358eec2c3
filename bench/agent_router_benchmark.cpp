// The agent's router over the labelled set (tests/testdata/agent/router_messages.json):
// accuracy per language and per intent, and the cost of routing one message.
//   build/bin/agent_router_benchmark [repeats]

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "agent/router.hpp"

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 2000;
  std::ifstream in(std::string(SLOTH_SOURCE_DIR) + "/tests/testdata/agent/router_messages.json");
  const auto set = nlohmann::json::parse(in)["messages"];
  struct Tally {
    int n = 0, language = 0, intent = 0;
  };
  std::map<std::string, Tally> by_language, by_intent;
  Tally all;
  for (const auto& m : set) {
    const auto r = sloth::agent::RouteMessage(m["text"].get<std::string>());
    const bool lang_ok = r.language == m["language"];
    const bool intent_ok = sloth::agent::IntentName(r.intent) == m["intent"];
    for (Tally* t : {&by_language[m["language"]], &by_intent[m["intent"]], &all}) {
      ++t->n;
      t->language += lang_ok;
      t->intent += intent_ok;
    }
  }
  std::printf("| group | messages | language accuracy | intent accuracy |\n|---|---|---|---|\n");
  auto row = [](const std::string& name, const Tally& t) {
    std::printf("| %s | %d | %.3f | %.3f |\n", name.c_str(), t.n,
                static_cast<double>(t.language) / t.n, static_cast<double>(t.intent) / t.n);
  };
  for (const auto& [k, t] : by_language) row("language " + k, t);
  for (const auto& [k, t] : by_intent) row("intent " + k, t);
  row("all", all);

  const auto start = std::chrono::steady_clock::now();
  std::size_t sink = 0;
  for (int i = 0; i < repeats; ++i) {
    for (const auto& m : set)
      sink += sloth::agent::RouteMessage(m["text"].get_ref<const std::string&>()).language.size();
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double routed = static_cast<double>(repeats) * static_cast<double>(set.size());
  std::printf(
      "\n| routing | messages | µs per message | messages/s (1 core) |\n|---|---|---|---|\n");
  std::printf("| RouteMessage | %.0f | %.2f | %.0f |\n", routed, s * 1e6 / routed, routed / s);
  return sink == 0 ? 1 : 0;
}
