#include "serve/metrics_registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

namespace jlrec::serve {
namespace {

bool IsNameChar(char c, bool first, bool colon) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (colon && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}

// Metric names may hold ':' (recording rules use it), label names may not.
bool IsValidName(const std::string& name, bool colon) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i)
    if (!IsNameChar(name[i], i == 0, colon)) return false;
  return true;
}

// The names a family's sample lines carry: two families must not share one, or a scraper
// would read one's samples as the other's.
std::vector<std::string> SampleNames(const MetricFamilyDef& def) {
  if (def.type != MetricType::kHistogram) return {def.name};
  return {def.name, def.name + "_bucket", def.name + "_sum", def.name + "_count"};
}

// Backslash and newline are escaped everywhere, double quotes only inside a label value.
std::string Escape(const std::string& text, bool quote) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (quote && c == '"')
      out += "\\\"";
    else
      out += c;
  }
  return out;
}

void AppendLabels(std::string& out, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, const char* le) {
  if (names.empty() && !le) return;
  out += '{';
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) out += ',';
    out += names[i];
    out += "=\"";
    out += EscapeLabelValue(values[i]);
    out += '"';
  }
  if (le) {
    if (!names.empty()) out += ',';
    out += "le=\"";
    out += le;
    out += '"';
  }
  out += '}';
}

void AppendSample(std::string& out, const std::string& name, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, const char* le,
                  const std::string& value) {
  out += name;
  AppendLabels(out, names, values, le);
  out += ' ';
  out += value;
  out += '\n';
}

}  // namespace

const char* MetricTypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

std::string FormatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // The shortest text that reads back as this very double: Prometheus parses it with Go's
  // strconv.ParseFloat, which takes plain decimals and exponents ("1e+21") alike.
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  if (ec != std::errc()) return "NaN";  // cannot happen: 64 bytes hold any double
  return std::string(buf, end);
}

std::string EscapeLabelValue(const std::string& text) { return Escape(text, /*quote=*/true); }

std::string EscapeHelp(const std::string& text) { return Escape(text, /*quote=*/false); }

Status MetricsRegistry::CheckDeclarable(const MetricFamilyDef& def) const {
  const auto bad = [&def](const std::string& why) {
    return Status::InvalidArgument("metric " + def.name + ": " + why);
  };
  if (!IsValidName(def.name, /*colon=*/true)) return bad("not a valid metric name");
  std::set<std::string> seen;
  for (const auto& l : def.label_names) {
    if (!IsValidName(l, /*colon=*/false)) return bad("label \"" + l + "\" is not a valid name");
    if (l.rfind("__", 0) == 0) return bad("label \"" + l + "\": names starting __ are reserved");
    if (!seen.insert(l).second) return bad("label \"" + l + "\" is named twice");
    if (def.type == MetricType::kHistogram && l == "le")
      return bad("a histogram's buckets are its \"le\" label");
  }
  if (def.type == MetricType::kHistogram) {
    if (def.buckets.empty()) return bad("a histogram needs at least one bucket");
    for (std::size_t i = 0; i < def.buckets.size(); ++i) {
      if (!std::isfinite(def.buckets[i])) return bad("bucket bounds must be finite");
      if (i && def.buckets[i] <= def.buckets[i - 1])
        return bad("bucket bounds must be strictly increasing");
    }
  } else if (!def.buckets.empty()) {
    return bad("only a histogram has buckets");
  }
  if (auto it = families_.find(def.name); it != families_.end())
    return bad("already declared differently");
  const auto mine = SampleNames(def);
  for (const auto& [name, family] : families_)
    for (const auto& theirs : SampleNames(family.def))
      if (std::find(mine.begin(), mine.end(), theirs) != mine.end())
        return bad("its samples would be named like those of " + name);
  return Status::Ok();
}

Status MetricsRegistry::Add(const MetricFamilyDef& def) {
  MutexLock lock(mu_);
  if (auto it = families_.find(def.name); it != families_.end() && it->second.def == def)
    return Status::Ok();
  if (Status s = CheckDeclarable(def); !s.ok()) return s;
  families_[def.name].def = def;
  return Status::Ok();
}

MetricsRegistry::Family* MetricsRegistry::Find(const std::string& name, MetricType type,
                                               std::size_t arity) {
  auto it = families_.find(name);
  if (it == families_.end() || it->second.def.type != type ||
      it->second.def.label_names.size() != arity)
    return nullptr;
  return &it->second;
}

MetricsRegistry::Family* MetricsRegistry::FindCounting(const std::string& name, std::size_t arity) {
  if (Family* f = Find(name, MetricType::kCounter, arity)) return f;
  return Find(name, MetricType::kGauge, arity);
}

bool MetricsRegistry::Set(const std::string& name, const std::vector<std::string>& label_values,
                          double value) {
  MutexLock lock(mu_);
  Family* f = Find(name, MetricType::kGauge, label_values.size());
  if (!f) return false;
  f->series[label_values].value = value;
  return true;
}

bool MetricsRegistry::Inc(const std::string& name, const std::vector<std::string>& label_values,
                          double by) {
  MutexLock lock(mu_);
  Family* f = FindCounting(name, label_values.size());
  if (!f) return false;
  // A counter only goes up: a scraper reads any decrease as the process restarting.
  if (f->def.type == MetricType::kCounter && !(by >= 0)) return false;
  f->series[label_values].value += by;
  return true;
}

bool MetricsRegistry::Observe(const std::string& name, const std::vector<std::string>& label_values,
                              double value) {
  if (std::isnan(value)) return false;
  MutexLock lock(mu_);
  Family* f = Find(name, MetricType::kHistogram, label_values.size());
  if (!f) return false;
  Series& s = f->series[label_values];
  const auto& bounds = f->def.buckets;
  s.counts.resize(bounds.size());
  // Stored per bucket (the first bound >= value); Exposition() adds them up.
  auto at = std::lower_bound(bounds.begin(), bounds.end(), value);
  if (at != bounds.end()) ++s.counts[static_cast<std::size_t>(at - bounds.begin())];
  ++s.count;
  s.sum += value;
  return true;
}

std::map<std::string, MetricsRegistry::Family> MetricsRegistry::CopyFamilies() const {
  MutexLock lock(mu_);
  return families_;
}

Status MetricsRegistry::ReplaceSeries(const MetricsRegistry& source, const std::string& label,
                                      const std::string& value) {
  // Copied first, so that the two mutexes are never held together (no lock order to keep).
  const auto incoming = source.CopyFamilies();
  MutexLock lock(mu_);
  std::map<std::string, std::size_t> label_index;
  for (const auto& [name, family] : incoming) {
    const auto& labels = family.def.label_names;
    auto at = std::find(labels.begin(), labels.end(), label);
    if (at == labels.end())
      return Status::InvalidArgument("metric " + name + " has no label " + label);
    label_index[name] = static_cast<std::size_t>(at - labels.begin());
    auto here = families_.find(name);
    if (here == families_.end()) {
      if (Status s = CheckDeclarable(family.def); !s.ok()) return s;
    } else if (!(here->second.def == family.def)) {
      return Status::InvalidArgument("metric " + name + " is declared differently");
    }
  }
  for (const auto& [name, family] : incoming) {
    Family& mine = families_[name];
    mine.def = family.def;
    const std::size_t i = label_index[name];
    std::erase_if(mine.series, [&](const auto& entry) { return entry.first[i] == value; });
    for (const auto& [values, series] : family.series) mine.series[values] = series;
  }
  return Status::Ok();
}

std::string MetricsRegistry::Exposition() const {
  MutexLock lock(mu_);
  std::string out;
  for (const auto& [name, family] : families_) {
    if (family.series.empty()) continue;  // as client libraries do: no HELP without samples
    const MetricFamilyDef& def = family.def;
    out += "# HELP " + name + " " + EscapeHelp(def.help) + "\n";
    out += "# TYPE " + name + " " + MetricTypeName(def.type) + "\n";
    for (const auto& [values, s] : family.series) {
      if (def.type != MetricType::kHistogram) {
        AppendSample(out, name, def.label_names, values, nullptr, FormatMetricValue(s.value));
        continue;
      }
      std::uint64_t cumulative = 0;
      for (std::size_t b = 0; b < def.buckets.size(); ++b) {
        cumulative += b < s.counts.size() ? s.counts[b] : 0;
        AppendSample(out, name + "_bucket", def.label_names, values,
                     FormatMetricValue(def.buckets[b]).c_str(), std::to_string(cumulative));
      }
      AppendSample(out, name + "_bucket", def.label_names, values, "+Inf", std::to_string(s.count));
      AppendSample(out, name + "_sum", def.label_names, values, nullptr, FormatMetricValue(s.sum));
      AppendSample(out, name + "_count", def.label_names, values, nullptr, std::to_string(s.count));
    }
  }
  return out;
}

}  // namespace jlrec::serve
