#include <gtest/gtest.h>

#include "metrics/metrics.hpp"

namespace sloth::metrics {
namespace {

TEST(MetricsTest, RendersPrometheusText) {
  Registry r;
  r.Inc("reqs_total", "requests", {{"route", "/a"}, {"status", "200"}});
  r.Inc("reqs_total", "requests", {{"route", "/a"}, {"status", "200"}});
  r.Observe("lat_seconds", "latency", {{"route", "/a"}}, 0.003);
  r.Observe("lat_seconds", "latency", {{"route", "/a"}}, 20);
  r.Gauge("pool", "pool", [] {
    return std::vector<std::pair<Labels, double>>{{{{"state", "idle"}}, 3}};
  });
  const auto text = r.Render();
  EXPECT_NE(text.find("# TYPE reqs_total counter\nreqs_total{route=\"/a\",status=\"200\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("lat_seconds_bucket{route=\"/a\",le=\"0.0025\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_bucket{route=\"/a\",le=\"0.005\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_bucket{route=\"/a\",le=\"10\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_bucket{route=\"/a\",le=\"+Inf\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_count{route=\"/a\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE pool gauge\npool{state=\"idle\"} 3\n"), std::string::npos);
}

TEST(MetricsTest, EscapesLabelValues) {
  Registry r;
  r.Inc("x_total", "x", {{"path", "a\"b\\c\nd"}});
  EXPECT_NE(r.Render().find(R"(x_total{path="a\"b\\c\nd"} 1)"), std::string::npos);
}

}  // namespace
}  // namespace sloth::metrics
