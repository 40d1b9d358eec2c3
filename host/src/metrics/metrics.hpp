#pragma once

// A small Prometheus registry: labelled counters, labelled histograms and gauges computed
// at scrape time. Thread-safe; rendering produces the text exposition format 0.0.4.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace sloth::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Registry {
 public:
  // Adds `delta` to the counter `name{labels}`; `help` is recorded on first use.
  void Inc(const std::string& name, const std::string& help, const Labels& labels,
           double delta = 1.0);
  // Records one observation (seconds, bytes, ...) in histogram `name{labels}`.
  void Observe(const std::string& name, const std::string& help, const Labels& labels,
               double value);
  // Samples read by `read` at each scrape; `type` is "gauge" or "counter" (a total kept
  // elsewhere, such as the pool's wait count).
  void Gauge(const std::string& name, const std::string& help,
             std::function<std::vector<std::pair<Labels, double>>()> read,
             const std::string& type = "gauge");

  std::string Render() const;

  // Value of a counter (tests).
  double CounterValue(const std::string& name, const Labels& labels) const;

  static const std::vector<double>& DefaultBuckets();

 private:
  struct Histogram {
    std::vector<std::uint64_t> counts;  // cumulative on render, per-bucket here
    std::uint64_t count = 0;
    double sum = 0;
  };
  struct Family {
    std::string help;
    std::string type;
    std::map<Labels, double> counters;
    std::map<Labels, Histogram> histograms;
    std::function<std::vector<std::pair<Labels, double>>()> gauge;
  };
  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

}  // namespace sloth::metrics
