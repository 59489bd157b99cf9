#include "providers/json_selection.h"

#include <algorithm>
#include <optional>
#include <streambuf>
#include <utility>

namespace jlrec {

namespace {

using nlohmann::json;

Status TokenTooLong() {
  return Status::RemoteError("a JSON string or number longer than " +
                             std::to_string(kMaxJsonTokenBytes >> 20) +
                             " MiB, which no Docker answer holds: refused");
}

// nlohmann's SAX interface, building a DOM of the selected members only. Unselected values
// are dropped as their tokens arrive, so what is built is what the caller keeps.
class SelectingSax {
 public:
  using ElementHandler = std::function<Status(json&)>;

  SelectingSax(const JsonSelection& keep, const ElementHandler* on_element)
      : keep_(keep), on_element_(on_element) {}

  bool null() { return Value(nullptr); }
  bool boolean(bool v) { return Value(v); }
  bool number_integer(json::number_integer_t v) { return Value(v); }
  bool number_unsigned(json::number_unsigned_t v) { return Value(v); }
  bool number_float(json::number_float_t v, const std::string&) { return Value(v); }
  bool string(std::string& v) { return Value(std::move(v)); }
  bool binary(json::binary_t& v) { return Value(std::move(v)); }
  bool start_object(std::size_t) { return Open(json::object(), false); }
  bool start_array(std::size_t) { return Open(json::array(), true); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }

  bool key(std::string& name) {
    const Level& top = stack_.back();
    next_ = std::nullopt;
    if (top.value == nullptr) return true;
    if (top.selection == nullptr || top.selection->empty()) {
      next_ = Slot{std::move(name), nullptr};
      return true;
    }
    for (const JsonField& field : *top.selection)
      if (field.name == name) {
        next_ = Slot{std::move(name), &field.fields};
        break;
      }
    return true;
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    error_ = Status::RemoteError(std::string("not JSON: ") + e.what());
    return false;
  }

  json& root() { return root_; }
  // The first error (a syntax error, or the element handler's); ok if none.
  const Status& error() const { return error_; }
  // True when the document's top level was an array.
  bool root_is_array() const { return root_is_array_; }

 private:
  // A container being built: where it lives (null: dropped) and what to keep of it.
  struct Level {
    json* value;
    const JsonSelection* selection;  // null or empty: all of it
    bool is_array;
  };
  // The member the next value belongs to, when it is kept.
  struct Slot {
    std::string name;
    const JsonSelection* selection;
  };

  // True when the top-level array's elements go to on_element_ instead of the DOM.
  bool StreamingElements() const {
    return on_element_ != nullptr && stack_.size() == 1 && stack_.back().is_array;
  }

  // Where a value arriving now goes (null: dropped), and what to keep of it.
  std::pair<json*, const JsonSelection*> Place(json value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return {&root_, &keep_};
    }
    const Level& top = stack_.back();
    if (top.value == nullptr) return {nullptr, nullptr};
    if (top.is_array) {
      if (StreamingElements()) {
        element_ = std::move(value);
        return {&element_, top.selection};
      }
      top.value->push_back(std::move(value));
      return {&top.value->back(), top.selection};
    }
    if (!next_) return {nullptr, nullptr};
    json& slot = (*top.value)[next_->name] = std::move(value);
    const JsonSelection* selection = next_->selection;
    next_ = std::nullopt;
    return {&slot, selection};
  }

  // True when a value arriving now is not kept.
  bool Dropping() const {
    if (stack_.empty()) return false;
    const Level& top = stack_.back();
    return top.value == nullptr || (!top.is_array && !next_);
  }

  // A scalar: built only when it is kept.
  template <typename T>
  bool Value(T&& v) {
    if (Dropping()) {
      next_ = std::nullopt;
      return true;
    }
    const bool element = StreamingElements();
    Place(json(std::forward<T>(v)));
    return element ? HandElement() : true;
  }

  bool Open(json container, bool is_array) {
    if (stack_.empty()) root_is_array_ = is_array;
    auto [placed, selection] = Place(std::move(container));
    stack_.push_back(Level{placed, selection, is_array});
    return true;
  }

  bool Close() {
    stack_.pop_back();
    if (StreamingElements()) return HandElement();
    return true;
  }

  bool HandElement() {
    Status handled = (*on_element_)(element_);
    element_ = json();
    if (handled.ok()) return true;
    error_ = handled;
    return false;  // stops the parse
  }

  const JsonSelection& keep_;
  const ElementHandler* on_element_;  // null: the whole document goes to root_
  json root_;
  json element_;  // the top-level array's element being built, when streaming them
  bool root_is_array_ = false;
  std::vector<Level> stack_;
  std::optional<Slot> next_;
  Status error_;
};

// Passes a JSON text through, ending it where one token (a string, a number, a literal) grows
// longer than `cap` bytes. nlohmann's lexer holds a token whole, twice (its text and its
// value) and grows both by doubling, whatever the selection then drops: a 50 MiB string in a
// hostile answer cost over 250 MiB before it reached the selection. Only what the source has
// already received is taken at a time, so that elements are still handed over as they arrive.
class TokenLengthGuard : public std::streambuf {
 public:
  TokenLengthGuard(std::streambuf* source, std::size_t cap) : source_(source), cap_(cap) {}

  bool exceeded() const { return exceeded_; }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    if (exceeded_ || source_->sgetc() == traits_type::eof()) return traits_type::eof();
    const std::streamsize ready = std::max<std::streamsize>(source_->in_avail(), 1);
    const std::streamsize n =
        source_->sgetn(buffer_, std::min<std::streamsize>(ready, sizeof buffer_));
    if (n <= 0) return traits_type::eof();
    for (std::streamsize i = 0; i < n; ++i)
      if (!Scan(buffer_[i])) {
        exceeded_ = true;
        return traits_type::eof();
      }
    setg(buffer_, buffer_, buffer_ + n);
    return traits_type::to_int_type(*gptr());
  }

 private:
  // Follows the token `c` continues; false once it is longer than the cap.
  bool Scan(char c) {
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
        token_ = 0;
        return true;
      }
    } else if (c == '"') {
      in_string_ = true;
      token_ = 0;
      return true;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ':' ||
               c == '[' || c == ']' || c == '{' || c == '}') {
      token_ = 0;
      return true;
    }
    return ++token_ <= cap_;
  }

  std::streambuf* const source_;
  const std::size_t cap_;
  char buffer_[16 * 1024];
  bool in_string_ = false;
  bool escaped_ = false;
  std::size_t token_ = 0;  // bytes of the token being read
  bool exceeded_ = false;
};

Status Parse(std::istream& in, SelectingSax& sax) {
  TokenLengthGuard guard(in.rdbuf(), kMaxJsonTokenBytes);
  std::istream guarded(&guard);
  try {
    if (json::sax_parse(guarded, &sax)) return Status::Ok();
  } catch (const std::exception& e) {
    // sax_parse reports syntax errors through the handler; this is anything else.
    if (guard.exceeded()) return TokenTooLong();
    return Status::RemoteError(std::string("not JSON: ") + e.what());
  }
  if (guard.exceeded()) return TokenTooLong();
  if (!sax.error().ok()) return sax.error();
  return Status::RemoteError("not JSON");
}

}  // namespace

Result<json> ParseSelectedJson(std::istream& in, const JsonSelection& keep) {
  SelectingSax sax(keep, nullptr);
  Status parsed = Parse(in, sax);
  if (!parsed.ok()) return parsed;
  return std::move(sax.root());
}

Status ParseSelectedJsonArray(std::istream& in, const JsonSelection& keep,
                              const std::function<Status(json&)>& on_element) {
  SelectingSax sax(keep, &on_element);
  Status parsed = Parse(in, sax);
  if (!parsed.ok()) return parsed;
  if (!sax.root_is_array()) return Status::RemoteError("not a JSON array");
  return Status::Ok();
}

}  // namespace jlrec
