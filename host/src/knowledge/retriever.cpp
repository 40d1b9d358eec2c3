#include "knowledge/retriever.hpp"

#include <algorithm>
#include <map>

#include "knowledge/document_repository.hpp"

namespace sloth::knowledge {
namespace {

constexpr int kCandidates = 50;
constexpr double kRrf = 60.0;  // the usual reciprocal-rank-fusion constant

// Function words of questions in the languages salons write in (English, Ukrainian), as a
// PostgreSQL text[]: left out of full-text queries under the 'simple' configuration.
const std::string& QueryStopWords() {
  static const std::string words =
      "{a,an,the,and,or,of,to,in,on,for,is,are,be,it,do,does,did,you,your,we,our,i,my,me,can,"
      "could,with,at,by,what,which,who,when,where,how,this,that,there,have,has,will,would,from,"
      "as,so,if,any,some,much,many,get,і,й,та,в,у,на,з,із,зі,до,що,як,чи,це,ви,ми,я,мені,вас,"
      "нас,вам,для,по,за,є,а,але,не,де,коли,який,яка,яке,які,можна,мені,чому,хто,"
      "Що,Як,Чи,Де,Коли,Який,Яка,Яке,Які,Можна,Хто}";
  return words;
}

}  // namespace

std::vector<SearchHit> Retriever::Search(std::int64_t tenant, const std::string& query, int top_k,
                                         Mode mode) {
  const db::TenantId scope{tenant};
  const TenantSettings settings =
      pool_.InTenant(scope, db::kReadOnly, [&](db::Transaction& tx) { return settings_.Read(tx); });
  std::vector<float> embedded;
  if (mode != Mode::kText) embedded = models_.Embed(settings.embedding_model, {query});

  // Read-write although it only reads: its second statement would otherwise open a read-only
  // transaction of its own (BEGIN, scope and COMMIT again), which costs PostgreSQL more than
  // the round trip of a COMMIT saves (POST /api/knowledge/search −7%, bench/RESULTS.md).
  return pool_.InTenant(scope, [&](db::Transaction& tx) {
    DocumentRepository docs;
    std::map<std::int64_t, double> fused;
    if (mode != Mode::kVector) {
      const auto ids =
          docs.TextSearch(tx, query, kCandidates, settings.text_config, QueryStopWords());
      for (std::size_t i = 0; i < ids.size(); ++i)
        fused[ids[i]] += 1.0 / (kRrf + static_cast<double>(i) + 1);
    }
    if (mode != Mode::kText) {
      const auto near =
          indexes_.indexes().Search(tx, tenant, settings.embedding_model, embedded, kCandidates);
      for (std::size_t i = 0; i < near.size(); ++i)
        fused[near[i].second] += 1.0 / (kRrf + static_cast<double>(i) + 1);
    }
    std::vector<std::pair<double, std::int64_t>> ranked;
    for (const auto& [id, s] : fused) ranked.emplace_back(s, id);
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    if (ranked.size() > static_cast<std::size_t>(top_k))
      ranked.resize(static_cast<std::size_t>(top_k));
    // One query for all the winners; a chunk gone since it was ranked is skipped.
    std::vector<std::int64_t> ids;
    for (const auto& [score, id] : ranked) ids.push_back(id);
    std::map<std::int64_t, ChunkSource> by_id;
    for (auto& s : docs.Sources(tx, ids)) by_id.emplace(s.id, std::move(s));
    std::vector<SearchHit> hits;
    for (const auto& [score, id] : ranked) {
      const auto it = by_id.find(id);
      if (it == by_id.end()) continue;
      const auto& s = it->second;
      hits.push_back({id, s.text, score, s.document_id, s.kind, s.title, s.label, s.page});
    }
    return hits;
  });
}

}  // namespace sloth::knowledge
