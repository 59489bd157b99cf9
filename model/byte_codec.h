// A small length-prefixed binary encoding for the caches jlrec keeps in its state file
// (the resolved manifest, host snapshots): native byte order, so a record is only ever read
// by the machine that wrote it; every record carries its own format number.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace jlrec {

/// Appends fixed-size integers, bools and u32-length-prefixed strings to a byte string.
class ByteWriter {
 public:
  /// Appends `v` (4 bytes).
  void U32(std::uint32_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof v); }
  /// Appends `v` (8 bytes).
  void I64(std::int64_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof v); }
  /// Appends `v` (1 byte).
  void Bool(bool v) { out_.push_back(v ? 1 : 0); }
  /// Appends the length of `s` and its bytes.
  void Str(std::string_view s) {
    U32(static_cast<std::uint32_t>(s.size()));
    out_.append(s);
  }
  /// Appends a count and each string.
  void Strs(const std::vector<std::string>& v) {
    U32(static_cast<std::uint32_t>(v.size()));
    for (const auto& s : v) Str(s);
  }
  /// Appends a count and each key and value, in key order.
  void StrMap(const std::map<std::string, std::string>& m) {
    U32(static_cast<std::uint32_t>(m.size()));
    for (const auto& [k, v] : m) {
      Str(k);
      Str(v);
    }
  }
  /// The bytes written so far; leaves the writer empty.
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

/// Reads what ByteWriter wrote. After the first overrun every read yields an empty value and
/// ok() turns false, so decoders check once at the end, never read out of bounds.
class ByteReader {
 public:
  /// Reads `in`, which must outlive the reader.
  explicit ByteReader(std::string_view in) : in_(in) {}
  /// False once any read ran past the end or met an impossible count.
  bool ok() const { return ok_; }
  /// True when every byte was consumed.
  bool AtEnd() const { return pos_ == in_.size(); }

  /// Reads a U32 (0 after an overrun).
  std::uint32_t U32() {
    std::uint32_t v = 0;
    Raw(&v, sizeof v);
    return v;
  }
  /// Reads an I64 (0 after an overrun).
  std::int64_t I64() {
    std::int64_t v = 0;
    Raw(&v, sizeof v);
    return v;
  }
  /// Reads a Bool (false after an overrun).
  bool Bool() {
    char c = 0;
    Raw(&c, 1);
    return c != 0;
  }
  /// Reads a Str ("" after an overrun).
  std::string Str() {
    std::uint32_t n = U32();
    if (!ok_ || n > in_.size() - pos_) return Fail(), std::string();
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  /// Reads a count of items each at least `min_bytes` long, refused (0, !ok()) when more than
  /// the bytes left could hold: a corrupt count never makes a decoder reserve gigabytes.
  std::uint32_t Count(size_t min_bytes) {
    std::uint32_t n = U32();
    if (!ok_ || n > (in_.size() - pos_) / min_bytes) return Fail(), 0;
    return n;
  }
  /// Reads what Strs wrote.
  std::vector<std::string> Strs() {
    std::vector<std::string> v(Count(4));
    for (auto& s : v) s = Str();
    return v;
  }
  /// Reads what StrMap wrote.
  std::map<std::string, std::string> StrMap() {
    std::map<std::string, std::string> m;
    for (std::uint32_t n = Count(8); n > 0 && ok_; --n) {
      std::string k = Str();
      m.emplace_hint(m.end(), std::move(k), Str());
    }
    return m;
  }

 private:
  void Fail() { ok_ = false; }
  void Raw(void* dst, size_t n) {
    if (!ok_ || n > in_.size() - pos_) return Fail();
    std::memcpy(dst, in_.data() + pos_, n);
    pos_ += n;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace jlrec
