// SPDX-License-Identifier: AGPL-3.0-or-later
#include "util/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace nimbus::util {
namespace {

TEST(Metrics, RendersCountersGaugesAndHistogramsInTextFormat) {
  Metrics m;
  auto& requests = m.AddCounter("app_requests_total", "Requests.", {"route", "status"});
  requests.WithLabels({"/a/{id}", "200"}).Inc();
  requests.WithLabels({"/a/{id}", "200"}).Inc(2);
  requests.WithLabels({"/b", "404"}).Inc();
  m.AddGauge("app_open", "Open things.").WithLabels({}).Set(3);
  auto& h = m.AddHistogram("app_latency_seconds", "Latency.", {"route"}, {0.5, 1});
  h.WithLabels({"/a"}).Observe(0.25);
  h.WithLabels({"/a"}).Observe(0.5);
  h.WithLabels({"/a"}).Observe(4);
  std::string text = m.RenderPrometheus();
  EXPECT_EQ(text,
            "# HELP app_latency_seconds Latency.\n"
            "# TYPE app_latency_seconds histogram\n"
            "app_latency_seconds_bucket{route=\"/a\",le=\"0.5\"} 2\n"
            "app_latency_seconds_bucket{route=\"/a\",le=\"1\"} 2\n"
            "app_latency_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3\n"
            "app_latency_seconds_sum{route=\"/a\"} 4.75\n"
            "app_latency_seconds_count{route=\"/a\"} 3\n"
            "# HELP app_open Open things.\n"
            "# TYPE app_open gauge\n"
            "app_open 3\n"
            "# HELP app_requests_total Requests.\n"
            "# TYPE app_requests_total counter\n"
            "app_requests_total{route=\"/a/{id}\",status=\"200\"} 3\n"
            "app_requests_total{route=\"/b\",status=\"404\"} 1\n");
}

TEST(Metrics, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(EscapeHelp("x\\y\nz \"q\""), "x\\\\y\\nz \"q\"");
  Metrics m;
  m.AddCounter("c_total", "Line one\nline two.", {"v"}).WithLabels({"say \"hi\"\n"}).Inc();
  EXPECT_EQ(m.RenderPrometheus(),
            "# HELP c_total Line one\\nline two.\n"
            "# TYPE c_total counter\n"
            "c_total{v=\"say \\\"hi\\\"\\n\"} 1\n");
}

TEST(Metrics, RegisteringTwiceReturnsTheSameFamily) {
  Metrics m;
  auto& a = m.AddCounter("x_total", "X.", {"k"});
  auto& b = m.AddCounter("x_total", "X again.", {"k"});
  EXPECT_EQ(&a, &b);
  EXPECT_EQ(&a.WithLabels({"1"}), &b.WithLabels({"1"}));
}

TEST(Metrics, CountsCorrectlyFromManyThreads) {
  Metrics m;
  auto& fam = m.AddCounter("t_total", "T.", {"thread"});
  auto& hist = m.AddHistogram("t_seconds", "T.", {});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        fam.WithLabels({"all"}).Inc();
        hist.WithLabels({}).Observe(0.001);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(fam.WithLabels({"all"}).value(), 40000);
  EXPECT_EQ(hist.WithLabels({}).count(), 40000u);
  EXPECT_EQ(hist.WithLabels({}).cumulative().front(), 40000u);  // 0.001 <= 0.005.
}

}  // namespace
}  // namespace nimbus::util
