#include "state/json_columns.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <set>
#include <string_view>

namespace jlrec {

namespace {

using nlohmann::json;

// Values come from Docker's JSON, so they are valid UTF-8; replacing (rather than throwing on)
// an invalid sequence keeps a stray byte from failing a whole refresh.
std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

Status Malformed(const char* column, const std::string& why) {
  return Status::IoError(std::string("malformed ") + column + " in the state file: " + why);
}

// The columns hold only strings, arrays of strings, objects of strings and (the spec's
// healthcheck) an object with integers, written by Dump above. A reader for exactly that
// subset parses them several times faster than a general JSON DOM, which matters when a
// cached plan loads 10,000 containers.
class ColumnReader {
 public:
  ColumnReader(std::string_view text, const char* column) : text_(text), column_(column) {}

  Status StringList(std::vector<std::string>& out) {
    SkipSpace();
    if (!Eat('[')) return Error("expected an array");
    SkipSpace();
    if (Eat(']')) return Status::Ok();
    for (;;) {
      std::string item;
      if (!String(item)) return Error("expected an array of strings");
      out.push_back(std::move(item));
      SkipSpace();
      if (Eat(']')) return Status::Ok();
      if (!Eat(',')) return Error("expected ',' or ']'");
      SkipSpace();
    }
  }

  /// Calls `member(key)` at each member's value; `member` reads the value.
  template <typename Member>
  Status Object(Member&& member) {
    SkipSpace();
    if (!Eat('{')) return Error("expected an object");
    SkipSpace();
    if (Eat('}')) return Status::Ok();
    for (;;) {
      std::string key;
      if (!String(key)) return Error("expected a string key");
      SkipSpace();
      if (!Eat(':')) return Error("expected ':'");
      SkipSpace();
      if (Status s = member(key); !s.ok()) return s;
      SkipSpace();
      if (Eat('}')) return Status::Ok();
      if (!Eat(',')) return Error("expected ',' or '}'");
      SkipSpace();
    }
  }

  Status StringValue(std::string& out, const std::string& what) {
    out.clear();
    if (!String(out)) return Error(what + " is not a string");
    return Status::Ok();
  }

  /// Reads an integer (no fraction, no exponent) that fits in 64 bits.
  Status Integer(std::int64_t& out, const std::string& what) {
    SkipSpace();
    const bool negative = Eat('-');
    // The magnitude of the most negative value is one more than that of the most positive.
    const std::uint64_t limit =
        std::uint64_t(std::numeric_limits<std::int64_t>::max()) + (negative ? 1 : 0);
    const size_t first_digit = pos_;
    std::uint64_t magnitude = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      const unsigned digit = unsigned(text_[pos_] - '0');
      if (magnitude > (limit - digit) / 10) return Error(what + " is out of range");
      magnitude = magnitude * 10 + digit;
      ++pos_;
    }
    const size_t digits = pos_ - first_digit;
    if (digits == 0 || (digits > 1 && text_[first_digit] == '0'))
      return Error(what + " is not an integer");
    if (pos_ < text_.size() && (text_[pos_] == '.' || text_[pos_] == 'e' || text_[pos_] == 'E'))
      return Error(what + " is not an integer");
    // Two's complement: the cast wraps the largest magnitude to the most negative value.
    out =
        negative ? static_cast<std::int64_t>(0 - magnitude) : static_cast<std::int64_t>(magnitude);
    return Status::Ok();
  }

  /// Reads and drops one value of the subset this file writes (a string, an integer, or an
  /// array or object of such values): a field a newer jlrec added.
  Status SkipValue(const std::string& what, int depth = 0) {
    // Deep enough for anything written here; bounds the recursion on a corrupt column.
    constexpr int kMaxDepth = 16;
    if (depth > kMaxDepth) return Error(what + " is nested too deeply");
    SkipSpace();
    if (pos_ >= text_.size()) return Error("unexpected end in " + what);
    const char next = text_[pos_];
    if (next == '"') {
      std::string ignored;
      return StringValue(ignored, what);
    }
    if (next == '{') return Object([&](const std::string&) { return SkipValue(what, depth + 1); });
    if (next == '[') {
      Eat('[');
      SkipSpace();
      if (Eat(']')) return Status::Ok();
      for (;;) {
        if (Status s = SkipValue(what, depth + 1); !s.ok()) return s;
        SkipSpace();
        if (Eat(']')) return Status::Ok();
        if (!Eat(',')) return Error("expected ',' or ']'");
      }
    }
    if (next == '-' || (next >= '0' && next <= '9')) {
      std::int64_t ignored = 0;
      return Integer(ignored, what);
    }
    return Error(what + " is not a string, integer, array or object");
  }

  Status End() {
    SkipSpace();
    if (pos_ != text_.size()) return Error("trailing characters");
    return Status::Ok();
  }

  Status Error(const std::string& why) const { return Malformed(column_, why); }

 private:
  bool Eat(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\t' || text_[pos_] == '\r'))
      ++pos_;
  }

  bool Hex4(unsigned& value) {
    if (pos_ + 4 > text_.size()) return false;
    value = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_++];
      value <<= 4;
      if (c >= '0' && c <= '9')
        value |= unsigned(c - '0');
      else if (c >= 'a' && c <= 'f')
        value |= unsigned(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        value |= unsigned(c - 'A' + 10);
      else
        return false;
    }
    return true;
  }

  static void AppendUtf8(unsigned cp, std::string& out) {
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xC0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += char(0xE0 | (cp >> 12));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    } else {
      out += char(0xF0 | (cp >> 18));
      out += char(0x80 | ((cp >> 12) & 0x3F));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    }
  }

  bool String(std::string& out) {
    if (!Eat('"')) return false;
    for (;;) {
      // Copy the run up to the next quote or escape in one go.
      size_t stop = text_.find_first_of("\"\\", pos_);
      if (stop == std::string_view::npos) return false;
      out.append(text_.data() + pos_, stop - pos_);
      pos_ = stop + 1;
      if (text_[stop] == '"') return true;
      if (pos_ >= text_.size()) return false;
      char e = text_[pos_++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          unsigned cp = 0;
          if (!Hex4(cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned low = 0;
            if (!Eat('\\') || !Eat('u') || !Hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return false;
          }
          AppendUtf8(cp, out);
          break;
        }
        default:
          return false;
      }
    }
  }

  std::string_view text_;
  const char* column_;
  size_t pos_ = 0;
};

}  // namespace

std::string StringListToJson(const std::vector<std::string>& values) { return Dump(values); }

Result<std::vector<std::string>> StringListFromJson(const std::string& json_text,
                                                    const char* column) {
  ColumnReader reader(json_text, column);
  std::vector<std::string> out;
  if (Status s = reader.StringList(out); !s.ok()) return s;
  if (Status s = reader.End(); !s.ok()) return s;
  return out;
}

std::string StringMapToJson(const std::map<std::string, std::string>& values) {
  return Dump(values);
}

Result<std::map<std::string, std::string>> StringMapFromJson(const std::string& json_text,
                                                             const char* column) {
  ColumnReader reader(json_text, column);
  std::map<std::string, std::string> out;
  Status s = reader.Object([&](const std::string& key) {
    std::string value;
    if (Status st = reader.StringValue(value, "a member"); !st.ok())
      return reader.Error("expected an object of strings");
    out.insert_or_assign(key, std::move(value));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  if (Status st = reader.End(); !st.ok()) return st;
  return out;
}

std::string SpecFieldsToJson(const ContainerSpec& spec) {
  json fields{{"command", spec.command},
              {"network_mode", spec.network_mode},
              {"volumes", spec.volumes},
              {"restart", spec.restart},
              {"ports", spec.ports}};
  // Absent when there is none, as in the rows written before healthchecks were cached.
  if (spec.healthcheck) {
    const Healthcheck& h = *spec.healthcheck;
    fields["healthcheck"] = json{{"command", h.command},
                                 {"timeout_ms", h.timeout.count()},
                                 {"interval_ms", h.interval.count()},
                                 {"retries", h.retries}};
  }
  return Dump(fields);
}

namespace {

constexpr const char* kSpecColumn = "containers.spec";

// The "healthcheck" member of the spec column; every field of it is required.
Status ReadHealthcheck(ColumnReader& reader, Healthcheck& healthcheck) {
  std::set<std::string> seen;
  Status s = reader.Object([&](const std::string& key) -> Status {
    seen.insert(key);
    std::int64_t number = 0;
    if (key == "command") return reader.StringList(healthcheck.command = {});
    if (key == "timeout_ms") {
      if (Status st = reader.Integer(number, "healthcheck timeout_ms"); !st.ok()) return st;
      healthcheck.timeout = std::chrono::milliseconds(number);
      return Status::Ok();
    }
    if (key == "interval_ms") {
      if (Status st = reader.Integer(number, "healthcheck interval_ms"); !st.ok()) return st;
      healthcheck.interval = std::chrono::milliseconds(number);
      return Status::Ok();
    }
    if (key == "retries") {
      if (Status st = reader.Integer(number, "healthcheck retries"); !st.ok()) return st;
      if (number < std::numeric_limits<int>::min() || number > std::numeric_limits<int>::max())
        return reader.Error("healthcheck retries is out of range");
      healthcheck.retries = static_cast<int>(number);
      return Status::Ok();
    }
    return reader.SkipValue("healthcheck " + key);
  });
  if (!s.ok()) return s;
  for (const char* key : {"command", "timeout_ms", "interval_ms", "retries"})
    if (!seen.count(key)) return Malformed(kSpecColumn, std::string("missing healthcheck ") + key);
  return Status::Ok();
}

}  // namespace

Status SpecFieldsFromJson(const std::string& json_text, ContainerSpec& spec) {
  ColumnReader reader(json_text, kSpecColumn);
  std::set<std::string> seen;
  spec.healthcheck.reset();
  Status s = reader.Object([&](const std::string& key) -> Status {
    seen.insert(key);
    if (key == "command") return reader.StringList(spec.command = {});
    if (key == "volumes") return reader.StringList(spec.volumes = {});
    if (key == "ports") return reader.StringList(spec.ports = {});
    if (key == "network_mode") return reader.StringValue(spec.network_mode, key);
    if (key == "restart") return reader.StringValue(spec.restart, key);
    if (key == "healthcheck") return ReadHealthcheck(reader, spec.healthcheck.emplace());
    // A field this version does not know (a newer jlrec wrote it): skipped.
    return reader.SkipValue(key);
  });
  if (!s.ok()) return s;
  if (Status st = reader.End(); !st.ok()) return st;
  for (const char* key : {"command", "network_mode", "volumes", "restart", "ports"})
    if (!seen.count(key)) return Malformed(kSpecColumn, std::string("missing ") + key);
  return Status::Ok();
}

}  // namespace jlrec
