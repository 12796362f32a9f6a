// SPDX-License-Identifier: AGPL-3.0-or-later
#include "util/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <variant>

#include <fmt/core.h>

namespace nimbus::util {

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), buckets_(new std::atomic<std::uint64_t>[bounds.size()]) {
  for (std::size_t i = 0; i < bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double v) {
  // First bucket whose upper bound is >= v; past the last one only +Inf (count) holds it.
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
  if (it != bounds_.end()) {
    buckets_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  }
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::cumulative() const {
  std::vector<std::uint64_t> out(bounds_.size());
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    total += buckets_[i].load(std::memory_order_relaxed);
    out[i] = total;
  }
  return out;
}

std::vector<double> DefaultLatencyBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

template <class T>
T& Family<T>::WithLabels(const std::vector<std::string_view>& values) {
  std::vector<std::string> key(labels_.size());
  for (std::size_t i = 0; i < key.size() && i < values.size(); ++i) key[i] = values[i];
  std::lock_guard lock(mutex_);
  auto it = children_.find(key);
  if (it != children_.end()) return *it->second;
  std::unique_ptr<T> child;
  if constexpr (std::is_same_v<T, Histogram>) {
    child = std::make_unique<T>(bounds_);
  } else {
    child = std::make_unique<T>();
  }
  return *children_.emplace(std::move(key), std::move(child)).first->second;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

struct Metrics::Entry {
  std::variant<std::unique_ptr<CounterFamily>, std::unique_ptr<GaugeFamily>,
               std::unique_ptr<HistogramFamily>>
      family;
};

Metrics::Metrics() = default;
Metrics::~Metrics() = default;

CounterFamily& Metrics::AddCounter(std::string_view name, std::string_view help,
                                   std::vector<std::string> labels) {
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it == families_.end()) {
    auto entry = std::make_unique<Entry>();
    entry->family = std::make_unique<CounterFamily>(std::string(name), std::string(help),
                                                    std::move(labels));
    it = families_.emplace(std::string(name), std::move(entry)).first;
  }
  auto* f = std::get_if<std::unique_ptr<CounterFamily>>(&it->second->family);
  if (f == nullptr) std::abort();  // Same name registered as another kind: a bug.
  return **f;
}

GaugeFamily& Metrics::AddGauge(std::string_view name, std::string_view help,
                               std::vector<std::string> labels) {
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it == families_.end()) {
    auto entry = std::make_unique<Entry>();
    entry->family =
        std::make_unique<GaugeFamily>(std::string(name), std::string(help), std::move(labels));
    it = families_.emplace(std::string(name), std::move(entry)).first;
  }
  auto* f = std::get_if<std::unique_ptr<GaugeFamily>>(&it->second->family);
  if (f == nullptr) std::abort();
  return **f;
}

HistogramFamily& Metrics::AddHistogram(std::string_view name, std::string_view help,
                                       std::vector<std::string> labels,
                                       std::vector<double> bounds) {
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it == families_.end()) {
    if (bounds.empty()) bounds = DefaultLatencyBuckets();
    std::sort(bounds.begin(), bounds.end());
    auto entry = std::make_unique<Entry>();
    entry->family = std::make_unique<HistogramFamily>(std::string(name), std::string(help),
                                                      std::move(labels), std::move(bounds));
    it = families_.emplace(std::string(name), std::move(entry)).first;
  }
  auto* f = std::get_if<std::unique_ptr<HistogramFamily>>(&it->second->family);
  if (f == nullptr) std::abort();
  return **f;
}

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string EscapeHelp(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

namespace {

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

// {a="1",b="2"} plus an optional extra label (le for histogram buckets); "" when empty.
std::string LabelSet(const std::vector<std::string>& names, const std::vector<std::string>& values,
                     std::string_view extra_name = {}, std::string_view extra_value = {}) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    out += out.empty() ? "{" : ",";
    out += fmt::format("{}=\"{}\"", names[i], EscapeLabelValue(values[i]));
  }
  if (!extra_name.empty()) {
    out += out.empty() ? "{" : ",";
    out += fmt::format("{}=\"{}\"", extra_name, extra_value);
  }
  if (!out.empty()) out += "}";
  return out;
}

void Header(std::string& out, const std::string& name, const std::string& help,
            std::string_view type) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, EscapeHelp(help), name, type);
}

void Render(std::string& out, const CounterFamily& f) {
  Header(out, f.name(), f.help(), "counter");
  f.ForEach([&](const std::vector<std::string>& k, const Counter& c) {
    out += fmt::format("{}{} {}\n", f.name(), LabelSet(f.labels(), k), FormatValue(c.value()));
  });
}

void Render(std::string& out, const GaugeFamily& f) {
  Header(out, f.name(), f.help(), "gauge");
  f.ForEach([&](const std::vector<std::string>& k, const Gauge& g) {
    out += fmt::format("{}{} {}\n", f.name(), LabelSet(f.labels(), k), FormatValue(g.value()));
  });
}

void Render(std::string& out, const HistogramFamily& f) {
  Header(out, f.name(), f.help(), "histogram");
  f.ForEach([&](const std::vector<std::string>& k, const Histogram& h) {
    auto cum = h.cumulative();
    for (std::size_t i = 0; i < cum.size(); ++i) {
      out += fmt::format("{}_bucket{} {}\n", f.name(),
                         LabelSet(f.labels(), k, "le", FormatValue(f.bounds()[i])), cum[i]);
    }
    out += fmt::format("{}_bucket{} {}\n", f.name(), LabelSet(f.labels(), k, "le", "+Inf"),
                       h.count());
    out += fmt::format("{}_sum{} {}\n", f.name(), LabelSet(f.labels(), k), FormatValue(h.sum()));
    out += fmt::format("{}_count{} {}\n", f.name(), LabelSet(f.labels(), k), h.count());
  });
}

}  // namespace

std::string Metrics::RenderPrometheus() const {
  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& [name, entry] : families_) {
    std::visit([&](const auto& family) { Render(out, *family); }, entry->family);
  }
  return out;
}

}  // namespace nimbus::util
