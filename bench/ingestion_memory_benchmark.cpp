// What hostile documents cost the ingestion path: each amplification file (XLSX shared
// strings, DOCX text, PDF content stream) is parsed in a fresh child process, with the
// host's default limits and then with the text limits lifted (the code before them), under
// a 2 GiB address-space cap so "without limits" ends in bad_alloc instead of swapping.
// Prints the outcome, time, the process's peak RSS and what parsing added to it (the peak
// is reset after the file is made); a tiny document is the baseline.
//
//   ingestion_memory_benchmark

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "knowledge/parsers.hpp"
#include "support/hostile_files.hpp"

namespace {

using sloth::knowledge::Parse;
using sloth::knowledge::ParseLimits;

struct Case {
  std::string name, format;
  std::string (*make)();
};

const std::vector<Case>& Cases() {
  using namespace sloth::testing;
  static const std::vector<Case> cases = {
      {"baseline: a one-page PDF", "pdf", [] { return PdfPages(1, "Gel manicure costs 25 EUR"); }},
      {"XLSX: 100 KB shared string x 40,000 cells", "xlsx",
       [] { return XlsxAmplification(100000, 40000); }},
      {"DOCX: 45 MB of words in document.xml", "docx", [] { return DocxAmplification(45u << 20); }},
      {"PDF: one page, 50 MB content stream", "pdf", [] { return PdfAmplification(50u << 20); }},
      {"PDF: 5,000 pages of 2 KB", "pdf", [] { return PdfPages(5000, std::string(2000, 'p')); }},
  };
  return cases;
}

long StatusKb(const char* field) {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (f && std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, field, std::strlen(field)) == 0)
      kb = std::atol(line + std::strlen(field) + 1);
  }
  if (f) std::fclose(f);
  return kb;
}

// The child: makes the file, resets the peak (clear_refs 5), parses, prints one table row.
int RunOne(std::size_t index, bool lifted) {
  const Case& c = Cases().at(index);
  const std::string data = c.make();
  ParseLimits limits;
  if (lifted) {
    limits.max_text_bytes = limits.max_part_text_bytes = ~std::size_t{0};
    limits.max_pdf_pages = 1 << 30;
    limits.time_budget = std::chrono::hours(1);
  }
  const rlimit cap{2ul << 30, 2ul << 30};
  setrlimit(RLIMIT_AS, &cap);
  if (std::FILE* f = std::fopen("/proc/self/clear_refs", "w")) {
    std::fputs("5", f);
    std::fclose(f);
  }
  const long before = StatusKb("VmRSS:");
  const auto start = std::chrono::steady_clock::now();
  std::string outcome;
  try {
    const auto sections = Parse(c.format, data, limits);
    std::size_t bytes = 0;
    for (const auto& s : sections) bytes += s.text.size();
    outcome = "read, " + std::to_string(bytes >> 10) + " KiB of text";
  } catch (const std::bad_alloc&) {
    outcome = "std::bad_alloc (2 GiB cap)";
  } catch (const std::exception& e) {
    outcome = std::string("refused: ") + e.what();
  }
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  const long peak = StatusKb("VmHWM:");
  if (outcome.size() > 80) outcome = outcome.substr(0, 80) + "…";
  std::printf("| %s | %zu | %s | %.1f | %.1f | %.0f | %s |\n", c.name.c_str(), data.size() >> 10,
              lifted ? "text limits lifted" : "defaults", peak / 1024.0, (peak - before) / 1024.0,
              ms, outcome.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3) return RunOne(std::stoul(argv[1]), std::string(argv[2]) == "lifted");
  std::printf(
      "| file | file KB | limits | peak RSS MB | added by parsing MB | ms | outcome |\n"
      "|---|---|---|---|---|---|---|\n");
  std::fflush(stdout);
  for (std::size_t i = 0; i < Cases().size(); ++i) {
    for (const char* mode : {"defaults", "lifted"}) {
      // A fresh process per case, so no case's memory is counted in another's.
      const pid_t pid = fork();
      if (pid == 0) {
        const std::string index = std::to_string(i);
        execl("/proc/self/exe", argv[0], index.c_str(), mode, static_cast<char*>(nullptr));
        _exit(127);
      }
      int status = 0;
      waitpid(pid, &status, 0);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        std::printf("| %s | | %s | | | | crashed (status %d) |\n", Cases()[i].name.c_str(), mode,
                    status);
      std::fflush(stdout);
    }
  }
}
