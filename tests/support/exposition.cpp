#include "support/exposition.h"

#include <cmath>
#include <cstdlib>
#include <set>

namespace jlrec::testing {
namespace {

bool NameChar(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         (!first && c >= '0' && c <= '9');
}

// Reads a name at `pos`; "" when none.
std::string ReadName(const std::string& line, std::size_t& pos) {
  const std::size_t start = pos;
  while (pos < line.size() && NameChar(line[pos], pos == start)) ++pos;
  return line.substr(start, pos - start);
}

bool ParseValue(const std::string& text, double& out) {
  if (text == "+Inf" || text == "Inf") return out = INFINITY, true;
  if (text == "-Inf") return out = -INFINITY, true;
  if (text == "NaN") return out = NAN, true;
  if (text.empty()) return false;
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  // strtod also takes "inf", "nan" and hex floats, which Prometheus does not.
  if (*end != '\0' || text.find_first_of("xXnN") != std::string::npos) return false;
  return true;
}

// Parses `{a="x",b="y"}` at `pos` (which is at '{') into `labels`; "" or why not.
std::string ReadLabels(const std::string& line, std::size_t& pos,
                       std::map<std::string, std::string>& labels) {
  ++pos;
  while (pos < line.size() && line[pos] != '}') {
    std::string name = ReadName(line, pos);
    if (name.empty() || name.find(':') != std::string::npos) return "bad label name";
    if (pos + 1 >= line.size() || line[pos] != '=' || line[pos + 1] != '"')
      return "expected =\" after label " + name;
    pos += 2;
    std::string value;
    for (;;) {
      if (pos >= line.size()) return "unterminated value of label " + name;
      char c = line[pos++];
      if (c == '"') break;
      if (c == '\\') {
        if (pos >= line.size()) return "dangling backslash";
        char e = line[pos++];
        if (e == '\\')
          value += '\\';
        else if (e == '"')
          value += '"';
        else if (e == 'n')
          value += '\n';
        else
          return std::string("unknown escape \\") + e;
      } else {
        value += c;
      }
    }
    if (!labels.emplace(name, value).second) return "label " + name + " given twice";
    if (pos < line.size() && line[pos] == ',') ++pos;
  }
  if (pos >= line.size()) return "unterminated label set";
  ++pos;
  return "";
}

std::string UnescapeHelp(const std::string& text, std::string& error) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (i + 1 >= text.size()) return error = "dangling backslash in HELP", out;
    char e = text[++i];
    if (e == '\\')
      out += '\\';
    else if (e == 'n')
      out += '\n';
    else
      return error = std::string("unknown escape \\") + e + " in HELP", out;
  }
  return out;
}

// The family a sample belongs to: a histogram's NAME_bucket/_sum/_count belong to NAME.
std::string FamilyOf(const std::string& name, const std::map<std::string, std::string>& types) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string s = suffix;
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      std::string base = name.substr(0, name.size() - s.size());
      auto t = types.find(base);
      if (t != types.end() && (t->second == "histogram" || t->second == "summary")) return base;
    }
  }
  return name;
}

// Checks each histogram series: cumulative buckets, le="+Inf" last and equal to _count.
std::string CheckHistograms(const ParsedExposition& p) {
  for (const auto& [family, type] : p.types) {
    if (type != "histogram") continue;
    std::map<std::map<std::string, std::string>, std::vector<std::pair<double, double>>> buckets;
    for (const auto& s : p.Named(family + "_bucket")) {
      auto labels = s.labels;
      auto le = labels.find("le");
      if (le == labels.end()) return family + "_bucket without le";
      double bound = 0;
      if (!ParseValue(le->second, bound)) return family + "_bucket with le=\"" + le->second + "\"";
      labels.erase(le);
      buckets[labels].push_back({bound, s.value});
    }
    for (const auto& [labels, list] : buckets) {
      for (std::size_t i = 1; i < list.size(); ++i) {
        if (!(list[i].first > list[i - 1].first)) return family + ": buckets out of order";
        if (list[i].second < list[i - 1].second) return family + ": buckets not cumulative";
      }
      if (list.empty() || !std::isinf(list.back().first)) return family + ": no +Inf bucket";
      auto count = p.Value(family + "_count", labels);
      if (!count || *count != list.back().second) return family + ": +Inf bucket != _count";
      if (!p.Value(family + "_sum", labels)) return family + ": no _sum";
    }
  }
  return "";
}

}  // namespace

std::optional<double> ParsedExposition::Value(
    const std::string& name, const std::map<std::string, std::string>& labels) const {
  for (const auto& s : samples)
    if (s.name == name && s.labels == labels) return s.value;
  return std::nullopt;
}

std::vector<ExpositionSample> ParsedExposition::Named(const std::string& name) const {
  std::vector<ExpositionSample> out;
  for (const auto& s : samples)
    if (s.name == name) out.push_back(s);
  return out;
}

ParsedExposition ParseExposition(const std::string& text) {
  ParsedExposition p;
  if (!text.empty() && text.back() != '\n') {
    p.error = "the last line does not end with a newline";
    return p;
  }
  std::set<std::string> finished;  // families whose lines are over
  std::string current;             // the family of the lines being read
  std::set<std::pair<std::string, std::map<std::string, std::string>>> seen;
  std::size_t start = 0;
  for (int number = 1; start < text.size(); ++number) {
    const std::size_t end = text.find('\n', start);
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    const auto fail = [&](const std::string& why) {
      p.error = "line " + std::to_string(number) + ": " + why + ": " + line;
      return p;
    };
    const auto enter = [&](const std::string& family) {
      if (family == current) return true;
      if (!current.empty()) finished.insert(current);
      current = family;
      return !finished.count(family);
    };
    if (line.empty()) continue;
    if (line[0] == '#') {
      const bool help = line.rfind("# HELP ", 0) == 0, type = line.rfind("# TYPE ", 0) == 0;
      if (!help && !type) continue;  // a comment
      std::size_t pos = 7;
      const std::string name = ReadName(line, pos);
      if (name.empty()) return fail("no metric name");
      if (!enter(name)) return fail("the lines of " + name + " are not together");
      if (help) {
        if (p.helps.count(name)) return fail("a second HELP");
        std::string error;
        p.helps[name] = pos < line.size() ? UnescapeHelp(line.substr(pos + 1), error) : "";
        if (!error.empty()) return fail(error);
      } else {
        if (p.types.count(name)) return fail("a second TYPE");
        bool sampled = false;
        for (const auto& s : p.samples) sampled = sampled || FamilyOf(s.name, p.types) == name;
        if (sampled) return fail("TYPE after samples");
        const std::string t = pos < line.size() ? line.substr(pos + 1) : "";
        if (t != "counter" && t != "gauge" && t != "histogram" && t != "summary" && t != "untyped")
          return fail("unknown type");
        p.types[name] = t;
      }
      continue;
    }
    std::size_t pos = 0;
    ExpositionSample s;
    s.name = ReadName(line, pos);
    if (s.name.empty()) return fail("no metric name");
    const std::string family = FamilyOf(s.name, p.types);
    if (!p.types.count(family)) return fail("a sample before its family's TYPE");
    if (!enter(family)) return fail("the lines of " + family + " are not together");
    if (pos < line.size() && line[pos] == '{')
      if (std::string why = ReadLabels(line, pos, s.labels); !why.empty()) return fail(why);
    if (pos >= line.size() || line[pos] != ' ') return fail("no space before the value");
    std::string rest = line.substr(pos + 1);
    const std::size_t space = rest.find(' ');  // an optional timestamp follows
    if (!ParseValue(rest.substr(0, space), s.value)) return fail("bad value");
    if (!seen.insert({s.name, s.labels}).second) return fail("a repeated series");
    p.samples.push_back(std::move(s));
  }
  p.error = CheckHistograms(p);
  return p;
}

}  // namespace jlrec::testing
