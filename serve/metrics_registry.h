// A small Prometheus metrics registry: counter, gauge and histogram families with labels,
// updated from any thread, rendered in the Prometheus text exposition format 0.0.4 (what
// /metrics answers and what node_exporter's textfile collector reads). Written here rather
// than taken from a client library: Debian packages none for C++, and jlrec needs a dozen
// families, not a framework.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/mutex.h"
#include "model/status.h"
#include "model/thread_annotations.h"

namespace jlrec::serve {

/// The Content-Type of Exposition()'s text.
inline constexpr const char* kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

/// A family's type, as its `# TYPE` line names it.
enum class MetricType { kCounter, kGauge, kHistogram };

/// "counter", "gauge", "histogram".
const char* MetricTypeName(MetricType type);

/// One metric family as declared: what its `# HELP` and `# TYPE` lines say, and its labels.
struct MetricFamilyDef {
  MetricType type = MetricType::kGauge;
  std::string name;                      ///< [a-zA-Z_:][a-zA-Z0-9_:]*
  std::string help;                      ///< one line of text for people (escaped on output)
  std::vector<std::string> label_names;  ///< [a-zA-Z_][a-zA-Z0-9_]*, not "__"-prefixed, unique
  /// Histograms only: the finite upper bounds, strictly increasing (the `+Inf` bucket is
  /// always added). Empty for counters and gauges.
  std::vector<double> buckets;
  bool operator==(const MetricFamilyDef&) const = default;
};

/// Metric families and their series. Thread-safe: every method may be called from any
/// thread at any time; Exposition() sees each update whole (one mutex guards everything).
class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  /// Declares a family. Declaring again with an equal definition changes nothing (ok), so
  /// that every user may declare what it updates. kInvalidArgument for a bad name, a bad
  /// or repeated label name, a histogram's "le" label, bad buckets (not finite, not strictly
  /// increasing, none at all, or given to a counter or gauge), or a name already declared
  /// with another definition (a histogram's NAME_bucket/_sum/_count clash with other
  /// families too).
  Status Add(const MetricFamilyDef& def) EXCLUDES(mu_);

  /// Sets the gauge series with `label_values` (in label_names' order) to `value`, creating
  /// it. False (nothing recorded) when `name` is no gauge or the number of values differs.
  bool Set(const std::string& name, const std::vector<std::string>& label_values, double value)
      EXCLUDES(mu_);
  /// Adds `by` to a counter's or a gauge's series, creating it at 0 first (so Inc(..., 0)
  /// makes a series show 0 before anything happened). False (nothing recorded) when `name`
  /// is no counter or gauge, the number of values differs, or `by` is negative or NaN on a
  /// counter.
  bool Inc(const std::string& name, const std::vector<std::string>& label_values, double by = 1)
      EXCLUDES(mu_);
  /// Counts `value` into a histogram's series: every bucket whose bound is >= value, the
  /// sum and the count. False (nothing recorded) when `name` is no histogram, the number of
  /// values differs, or `value` is NaN.
  bool Observe(const std::string& name, const std::vector<std::string>& label_values, double value)
      EXCLUDES(mu_);

  /// Makes this registry's series, in every family `source` has, those of `source` for
  /// the series whose label `label` is `value`: they are dropped, then `source`'s are copied
  /// in, in one step, so a concurrent Exposition() sees the old set or the new, never a mix
  /// (a host gone from the manifest stops being reported). Families `source` declares and
  /// this one does not are declared. kInvalidArgument (nothing changed) when a family is
  /// declared differently in the two. `source` must not be this registry.
  Status ReplaceSeries(const MetricsRegistry& source, const std::string& label,
                       const std::string& value) EXCLUDES(mu_);

  /// The Prometheus text format (version 0.0.4) of every family that has a series:
  /// families by name, each with `# HELP` then `# TYPE` then its series sorted by label
  /// values; histograms as cumulative NAME_bucket{...,le="B"} lines ending with le="+Inf",
  /// then NAME_sum and NAME_count. Label values escape backslash, double quote and newline,
  /// HELP text backslash and newline. Ends with a newline ("" when there is no series).
  std::string Exposition() const EXCLUDES(mu_);

 private:
  struct Series {
    double value = 0;                   ///< counters and gauges
    std::vector<std::uint64_t> counts;  ///< histograms: per finite bucket, not cumulative
    std::uint64_t count = 0;            ///< histograms: observations (the +Inf bucket)
    double sum = 0;                     ///< histograms: sum of observations
  };
  struct Family {
    MetricFamilyDef def;
    std::map<std::vector<std::string>, Series> series;  ///< by label values: sorted output
  };
  // The family `name` of type `type` and `arity` labels, or nullptr.
  Family* Find(const std::string& name, MetricType type, std::size_t arity) REQUIRES(mu_);
  Family* FindCounting(const std::string& name, std::size_t arity) REQUIRES(mu_);
  Status CheckDeclarable(const MetricFamilyDef& def) const REQUIRES(mu_);
  std::map<std::string, Family> CopyFamilies() const EXCLUDES(mu_);

  mutable Mutex mu_;
  std::map<std::string, Family> families_ GUARDED_BY(mu_);  ///< by name: sorted output
};

/// `value` as the exposition format writes it: the shortest decimal that reads back as the
/// same double ("1", "0.25", "1e+21"), "+Inf", "-Inf", "NaN".
std::string FormatMetricValue(double value);

/// `text` escaped for a label value: backslash, double quote and newline as \\, \" and \n.
std::string EscapeLabelValue(const std::string& text);

/// `text` escaped for a HELP line: backslash and newline as \\ and \n.
std::string EscapeHelp(const std::string& text);

}  // namespace jlrec::serve
