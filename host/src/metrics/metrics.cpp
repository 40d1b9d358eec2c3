#include "metrics/metrics.hpp"

#include <cmath>
#include <sstream>

namespace sloth::metrics {
namespace {

std::string Escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string LabelText(const Labels& labels, const std::string& extra_key = "",
                      const std::string& extra_value = "") {
  if (labels.empty() && extra_key.empty()) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ",";
    first = false;
    out += k + "=\"" + Escape(v) + "\"";
  }
  if (!extra_key.empty()) {
    if (!first) out += ",";
    out += extra_key + "=\"" + extra_value + "\"";
  }
  return out + "}";
}

std::string Num(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::ostringstream os;
  os.precision(12);
  os << v;
  return os.str();
}

}  // namespace

const std::vector<double>& Registry::DefaultBuckets() {
  static const std::vector<double> b = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                        0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return b;
}

void Registry::Inc(const std::string& name, const std::string& help, const Labels& labels,
                   double delta) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& f = families_[name];
  if (f.type.empty()) {
    f.type = "counter";
    f.help = help;
  }
  f.counters[labels] += delta;
}

void Registry::Observe(const std::string& name, const std::string& help, const Labels& labels,
                       double value) {
  const auto& buckets = DefaultBuckets();
  std::lock_guard<std::mutex> lock(mu_);
  auto& f = families_[name];
  if (f.type.empty()) {
    f.type = "histogram";
    f.help = help;
  }
  auto& h = f.histograms[labels];
  if (h.counts.empty()) h.counts.assign(buckets.size(), 0);
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    if (value <= buckets[i]) {
      ++h.counts[i];
      break;
    }
  }
  ++h.count;
  h.sum += value;
}

void Registry::Gauge(const std::string& name, const std::string& help,
                     std::function<std::vector<std::pair<Labels, double>>()> read,
                     const std::string& type) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& f = families_[name];
  f.type = type;
  f.help = help;
  f.gauge = std::move(read);
}

double Registry::CounterValue(const std::string& name, const Labels& labels) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  auto c = it->second.counters.find(labels);
  return c == it->second.counters.end() ? 0 : c->second;
}

std::string Registry::Render() const {
  // Gauge readers may take other locks (the pool's); copy them out first so no reader runs
  // under our mutex.
  std::map<std::string, Family> snapshot;
  {
    std::lock_guard<std::mutex> lock(mu_);
    snapshot = families_;
  }
  const auto& buckets = DefaultBuckets();
  std::ostringstream os;
  for (const auto& [name, f] : snapshot) {
    os << "# HELP " << name << " " << f.help << "\n# TYPE " << name << " " << f.type << "\n";
    if (f.gauge) {
      for (const auto& [labels, v] : f.gauge())
        os << name << LabelText(labels) << " " << Num(v) << "\n";
    } else if (f.type == "counter") {
      for (const auto& [labels, v] : f.counters)
        os << name << LabelText(labels) << " " << Num(v) << "\n";
    } else if (f.type == "histogram") {
      for (const auto& [labels, h] : f.histograms) {
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < buckets.size(); ++i) {
          cumulative += h.counts[i];
          os << name << "_bucket" << LabelText(labels, "le", Num(buckets[i])) << " " << cumulative
             << "\n";
        }
        os << name << "_bucket" << LabelText(labels, "le", "+Inf") << " " << h.count << "\n";
        os << name << "_sum" << LabelText(labels) << " " << Num(h.sum) << "\n";
        os << name << "_count" << LabelText(labels) << " " << h.count << "\n";
      }
    }
  }
  return os.str();
}

}  // namespace sloth::metrics
