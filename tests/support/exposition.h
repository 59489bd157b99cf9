// A strict reader of the Prometheus text exposition format (0.0.4), for tests: what /metrics
// and `drift --textfile` write must parse, and their values be checked by name and labels.
// Stricter than Prometheus where a rule keeps a file honest: every sample's family has a TYPE
// line before it, a family's lines are contiguous, each HELP and TYPE appears once, and each
// histogram series' buckets are cumulative and end with le="+Inf" equal to its _count.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace jlrec::testing {

/// One sample line.
struct ExpositionSample {
  std::string name;                           ///< as written (NAME_bucket for a bucket)
  std::map<std::string, std::string> labels;  ///< unescaped values
  double value = 0;
};

/// A parsed exposition.
struct ParsedExposition {
  std::string error;                         ///< "" when the text is valid; else line and why
  std::map<std::string, std::string> types;  ///< family -> "counter", "gauge", ...
  std::map<std::string, std::string> helps;  ///< family -> unescaped HELP text
  std::vector<ExpositionSample> samples;     ///< in order
  /// The value of sample `name` with exactly `labels`, if there is one.
  std::optional<double> Value(const std::string& name,
                              const std::map<std::string, std::string>& labels = {}) const;
  /// The samples named `name`.
  std::vector<ExpositionSample> Named(const std::string& name) const;
};

/// Parses `text`.
ParsedExposition ParseExposition(const std::string& text);

}  // namespace jlrec::testing
