// Metrics: a small thread-safe registry of counters, gauges and histograms with labels, rendered
// in the Prometheus text format 0.0.4 for GET /metrics. Any layer may register its own families.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace nimbus::util {

class Counter {
 public:
  void Inc(double v = 1) { value_.fetch_add(v, std::memory_order_relaxed); }  // v >= 0.
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  void Inc() { Add(1); }
  void Dec() { Add(-1); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(const std::vector<double>& bounds);
  void Observe(double v);
  // Cumulative count per upper bound (same order as the bounds; +Inf is count()).
  std::vector<std::uint64_t> cumulative() const;
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  const std::vector<double>& bounds_;  // Owned by the family.
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // Non-cumulative.
  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

// Default latency buckets in seconds: 5 ms … 10 s.
std::vector<double> DefaultLatencyBuckets();

// One metric name with a fixed list of label names; one child per distinct label values.
// WithLabels() takes the values in the order of the label names (a wrong count is a bug:
// missing values become "", extra ones are ignored). Returned references stay valid for the
// registry's lifetime; cache them on hot paths. Thread-safe (a mutex per family guards the
// child map; the children themselves are atomics).
template <class T>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> labels,
         std::vector<double> bounds = {})
      : name_(std::move(name)), help_(std::move(help)), labels_(std::move(labels)),
        bounds_(std::move(bounds)) {}
  T& WithLabels(std::initializer_list<std::string_view> values) {
    return WithLabels(std::vector<std::string_view>(values));
  }
  T& WithLabels(const std::vector<std::string_view>& values);
  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& labels() const { return labels_; }
  const std::vector<double>& bounds() const { return bounds_; }
  // Calls fn(label_values, child) for every child, sorted by label values, under the mutex.
  template <class F>
  void ForEach(F&& fn) const {
    std::lock_guard lock(mutex_);
    for (const auto& [k, v] : children_) fn(k, *v);
  }

 private:
  std::string name_, help_;
  std::vector<std::string> labels_;
  std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> children_;  // Guarded by mutex_.
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

// The registry. Registering a name twice returns the existing family (same kind required:
// a kind mismatch is a programmer error and aborts). Thread-safe.
class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  CounterFamily& AddCounter(std::string_view name, std::string_view help,
                            std::vector<std::string> labels = {});
  GaugeFamily& AddGauge(std::string_view name, std::string_view help,
                        std::vector<std::string> labels = {});
  // `bounds`: sorted upper bounds; empty means DefaultLatencyBuckets().
  HistogramFamily& AddHistogram(std::string_view name, std::string_view help,
                                std::vector<std::string> labels = {},
                                std::vector<double> bounds = {});

  // Every family in name order, Prometheus text exposition format 0.0.4.
  std::string RenderPrometheus() const;

 private:
  struct Entry;
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Entry>, std::less<>> families_;  // Guarded by mutex_.
};

// Escapes a label value (backslash, double quote, newline) for the text format.
std::string EscapeLabelValue(std::string_view v);
// Escapes HELP text (backslash, newline).
std::string EscapeHelp(std::string_view v);

}  // namespace nimbus::util
