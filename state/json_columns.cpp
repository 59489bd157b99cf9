#include "state/json_columns.h"

#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <string_view>
#include <type_traits>

#include "model/spec_fields.h"

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
  std::string text = Dump(values);
  // Dump writes an invalid UTF-8 sequence as U+FFFD, so two keys that differ only there
  // would be one key twice, which the reader collapses: write what it will read instead.
  if (text.find("\xEF\xBF\xBD") == std::string::npos) return text;
  auto read = StringMapFromJson(text, "a map");
  return read.ok() ? Dump(*read) : text;
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

// --- The spec column, driven by the spec's field list (model/spec_fields.h).

namespace {

constexpr const char* kSpecColumn = "containers.spec";

// The spec's fields that have a column of their own, so are not in the spec column.
bool HasOwnColumn(std::string_view field) { return field == "image" || field == "labels"; }

template <class Struct, class Field>
bool InSpecColumn(const Field& field) {
  return !std::is_same_v<Struct, ContainerSpec> || !HasOwnColumn(field.traits.name);
}

// A duration is an integer number of milliseconds, and says so in its member's name.
template <class T>
constexpr std::string_view kKeySuffix = std::is_same_v<T, std::chrono::milliseconds>
                                            ? std::string_view("_ms")
                                            : std::string_view();

template <class Field>
std::string KeyOf(const Field& field) {
  return std::string(field.traits.name) +
         std::string(kKeySuffix<typename std::remove_cvref_t<Field>::Value>);
}

template <class Field>
bool IsKeyOf(std::string_view key, const Field& field) {
  constexpr std::string_view suffix = kKeySuffix<typename std::remove_cvref_t<Field>::Value>;
  const std::string_view name = field.traits.name;
  return key.size() == name.size() + suffix.size() && key.starts_with(name) &&
         key.ends_with(suffix);
}

template <class Struct>
json FieldsToJson(const Struct& s);

template <class T>
json ValueToJson(const T& value) {
  if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::vector<std::string>> ||
                std::is_same_v<T, std::map<std::string, std::string>> || std::is_same_v<T, int>) {
    return json(value);
  } else if constexpr (kIsOptional<T>) {
    // Optional fields carry a digest tag, so an unset one was left out before this.
    return ValueToJson(*value);
  } else if constexpr (HasFieldList<T>) {
    return FieldsToJson(value);
  } else if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
    return json(value.count());
  } else {
    static_assert(kUnsupportedFieldType<T>, "the spec column has no JSON form for this type");
  }
}

template <class Struct>
json FieldsToJson(const Struct& s) {
  json out = json::object();
  ForEachField<Struct>([&](const auto& field) {
    if (!InSpecColumn<Struct>(field)) return;
    // A field added since the column's first version is absent while it holds its default,
    // as in the rows written before it existed.
    if (field.traits.digest_tag != 0 && HoldsDefault(field, s)) return;
    out[KeyOf(field)] = ValueToJson(field.Of(s));
  });
  return out;
}

template <class Struct>
class FieldsReader;

// Reads one member's value into `value`; `what` names it in errors ("healthcheck retries").
template <class T>
Status ReadValue(ColumnReader& reader, T& value, const std::string& what) {
  if constexpr (std::is_same_v<T, std::string>) {
    return reader.StringValue(value, what);
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    return reader.StringList(value = {});
  } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
    value.clear();
    return reader.Object([&](const std::string& key) {
      std::string item;
      if (Status st = reader.StringValue(item, what); !st.ok())
        return reader.Error(what + " is not an object of strings");
      value.insert_or_assign(key, std::move(item));
      return Status::Ok();
    });
  } else if constexpr (kIsOptional<T>) {
    return ReadValue(reader, value.emplace(), what);
  } else if constexpr (HasFieldList<T>) {
    FieldsReader<T> fields(reader, value, what);
    if (Status st = fields.Members(); !st.ok()) return st;
    return fields.CheckRequired();
  } else if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
    std::int64_t number = 0;
    if (Status st = reader.Integer(number, what); !st.ok()) return st;
    value = std::chrono::milliseconds(number);
    return Status::Ok();
  } else if constexpr (std::is_same_v<T, int>) {
    std::int64_t number = 0;
    if (Status st = reader.Integer(number, what); !st.ok()) return st;
    if (number < std::numeric_limits<int>::min() || number > std::numeric_limits<int>::max())
      return reader.Error(what + " is out of range");
    value = static_cast<int>(number);
    return Status::Ok();
  } else {
    static_assert(kUnsupportedFieldType<T>, "the spec column has no JSON form for this type");
  }
}

// Reads the members of a JSON object into the fields of `s` by their keys. The fields the
// column has had from its first version are required; one added since may be missing (a
// row written before it existed) and is then its default. Members no field has are skipped:
// a newer jlrec wrote them.
template <class Struct>
class FieldsReader {
 public:
  // `parent` names the member holding the object in errors ("healthcheck"); "" at the top.
  FieldsReader(ColumnReader& reader, Struct& s, std::string_view parent)
      : reader_(reader), s_(s), parent_(parent) {}

  Status Members() {
    ForEachField<Struct>([&](const auto& field) {
      if (field.traits.digest_tag != 0) SetDefault(field, s_);
    });
    return reader_.Object([&](const std::string& key) -> Status {
      std::string nested;
      const std::string& what = parent_.empty() ? key : (nested = Named(key));
      Status result = Status::Ok();
      bool known = false;
      size_t index = 0;
      ForEachField<Struct>([&](const auto& field) {
        const size_t i = index++;
        if (known || !InSpecColumn<Struct>(field) || !IsKeyOf(key, field)) return;
        known = true;
        seen_[i] = true;
        result = ReadValue(reader_, field.Of(s_), what);
      });
      return known ? result : reader_.SkipValue(what);
    });
  }

  // A missing field that the column always had is an error.
  Status CheckRequired() const {
    Status missing = Status::Ok();
    size_t index = 0;
    ForEachField<Struct>([&](const auto& field) {
      const size_t i = index++;
      if (!missing.ok() || seen_[i] || field.traits.digest_tag != 0 || !InSpecColumn<Struct>(field))
        return;
      missing = Malformed(kSpecColumn, "missing " + Named(KeyOf(field)));
    });
    return missing;
  }

 private:
  std::string Named(const std::string& key) const {
    return parent_.empty() ? key : std::string(parent_) + " " + key;
  }

  ColumnReader& reader_;
  Struct& s_;
  std::string_view parent_;
  std::array<bool, FieldCount<Struct>()> seen_{};
};

}  // namespace

std::string SpecFieldsToJson(const ContainerSpec& spec) { return Dump(FieldsToJson(spec)); }

Status SpecFieldsFromJson(const std::string& json_text, ContainerSpec& spec) {
  ColumnReader reader(json_text, kSpecColumn);
  FieldsReader<ContainerSpec> fields(reader, spec, "");
  if (Status s = fields.Members(); !s.ok()) return s;
  if (Status s = reader.End(); !s.ok()) return s;
  return fields.CheckRequired();
}

}  // namespace jlrec
