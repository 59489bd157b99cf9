// The one list of the container spec's fields (ContainerSpec and its Healthcheck): each
// field's member, its name and what its values mean. The spec digest and the binary codec
// (model/container_spec.cpp), the state file's JSON column (state/json_columns.cpp) and the
// plan's per-field comparison (SpecChanges in engine/diff.cpp) are driven from it, so they
// cannot disagree about which fields there are, in what order, or under what name.
//
// To add a field to ContainerSpec (or Healthcheck):
//   1. declare it in model/container_spec.h;
//   2. add its entry at the end of the struct's FieldList below, with a digest_tag no other
//      field uses, so that every spec without it keeps its digest;
//   3. translate it to and from Docker's JSON in providers/docker_container_json.cpp;
//   4. bump kFormat in state/snapshot_blob.cpp and manifests/resolved_manifest_codec.cpp
//      (WriteSpec's layout changed).
// The build fails until each step is done: this file checks the lists against the structs'
// members and the digest rules, and the files of steps 3 and 4 check the field counts they
// were written for. A field of a type no encoding knows yet fails to compile in each
// encoding that needs to learn it. The tests then cover the new field unedited (only a new
// type needs teaching to their Bump): tests/model/spec_field_samples.h sets every field of
// the lists, and the model, state and engine tests take each through the digest, the binary
// form, the JSON column and the diff.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "model/container_spec.h"
#include "model/member_count.h"

namespace jlrec {

/// What an empty (default) value of a field means; it decides how a plan compares and
/// shows the field.
enum class Empty {
  kNone,          ///< none of it (no volumes, no labels, no healthcheck); shown as "(none)"
  kImageDefault,  ///< the image's or Docker's default, which the live side reports
                  ///< resolved: an empty desired value is not compared; shown as "(none)"
  kSameAs,        ///< the same as FieldTraits::empty_is (restart: "" is "no")
  kInvalid,       ///< never empty in a valid spec (the image); shown as it is
};

/// What the encodings need to know about a field besides its member.
struct FieldTraits {
  /// The field's name in plans ("network_mode"), in the JSON column and in error messages.
  std::string_view name;
  Empty empty = Empty::kNone;      ///< what an empty value means
  std::string_view empty_is = {};  ///< with Empty::kSameAs: the value an empty one stands for
  bool unordered = false;          ///< a list whose order means nothing: compared and shown sorted
  /// 0 for the fields the spec digest has had from its first version: always digested, in
  /// list order. A field added since is digested as this tag and its value, and only while it
  /// holds something other than its default, so a spec that does not use it digests exactly
  /// as before the field existed: containers on real hosts carry their spec's digest in the
  /// jlrec.spec-digest label, and a changed digest would replace every one of them. The
  /// JSON column likewise leaves such a field out while it holds its default and reads a
  /// missing one as its default (rows written before it existed).
  char digest_tag = 0;
};

/// One field of `Struct`: the member holding it and its traits.
template <class Struct, class T>
struct Field {
  using Value = T;     ///< the member's type
  T Struct::*member;   ///< where the field lives in a Struct
  FieldTraits traits;  ///< its name and the meaning of its values

  /// The field's value in `s`.
  constexpr const T& Of(const Struct& s) const { return s.*member; }
  /// The field's value in `s`, to assign.
  constexpr T& Of(Struct& s) const { return s.*member; }
};

/// The Field of `member` with `traits`.
template <class Struct, class T>
constexpr Field<Struct, T> MakeField(T Struct::*member, FieldTraits traits) {
  return {member, traits};
}

/// The fields of `Struct`, in order, as `static constexpr std::tuple fields`: specialised
/// for each struct that has a list (Healthcheck and ContainerSpec below).
template <class Struct>
struct FieldList;

/// A struct with a FieldList (an encoding writes it field by field).
template <class T>
concept HasFieldList = requires {
  FieldList<T>::fields;
};

/// How many fields `Struct`'s list has.
template <HasFieldList Struct>
constexpr std::size_t FieldCount() {
  return std::tuple_size_v<std::remove_cvref_t<decltype(FieldList<Struct>::fields)>>;
}

/// Calls `f(field)` for each Field of `Struct`, in list order.
template <HasFieldList Struct, class F>
constexpr void ForEachField(F&& f) {
  std::apply([&](const auto&... field) { (f(field), ...); }, FieldList<Struct>::fields);
}

/// True when `field` of `s` holds what it holds in a default-constructed Struct.
template <class Struct, class T>
bool HoldsDefault(const Field<Struct, T>& field, const Struct& s) {
  static const Struct kDefault{};
  return field.Of(s) == field.Of(kDefault);
}

/// Sets `field` of `s` to what it holds in a default-constructed Struct.
template <class Struct, class T>
void SetDefault(const Field<Struct, T>& field, Struct& s) {
  static const Struct kDefault{};
  field.Of(s) = field.Of(kDefault);
}

/// True for std::optional<...>.
template <class T>
inline constexpr bool kIsOptional = false;
template <class T>
inline constexpr bool kIsOptional<std::optional<T>> = true;

/// For an encoding's last `static_assert(kUnsupportedFieldType<T>, ...)`: false for every
/// type, but only evaluated once the encoding is instantiated with one it does not know.
template <class T>
inline constexpr bool kUnsupportedFieldType = false;

template <>
struct FieldList<Healthcheck> {
  static constexpr std::tuple fields{
      MakeField(&Healthcheck::command, {.name = "command"}),
      MakeField(&Healthcheck::timeout, {.name = "timeout"}),
      MakeField(&Healthcheck::interval, {.name = "interval"}),
      MakeField(&Healthcheck::retries, {.name = "retries"}),
  };
};

template <>
struct FieldList<ContainerSpec> {
  static constexpr std::tuple fields{
      MakeField(&ContainerSpec::image, {.name = "image", .empty = Empty::kInvalid}),
      MakeField(&ContainerSpec::command, {.name = "command", .empty = Empty::kImageDefault}),
      MakeField(&ContainerSpec::network_mode,
                {.name = "network_mode", .empty = Empty::kImageDefault}),
      MakeField(&ContainerSpec::volumes, {.name = "volumes"}),
      MakeField(&ContainerSpec::restart,
                {.name = "restart", .empty = Empty::kSameAs, .empty_is = "no"}),
      MakeField(&ContainerSpec::ports, {.name = "ports", .unordered = true}),
      MakeField(&ContainerSpec::labels, {.name = "labels"}),
      MakeField(&ContainerSpec::healthcheck, {.name = "healthcheck", .digest_tag = 'H'}),
  };
};

namespace spec_fields_detail {

template <class Struct>
constexpr bool EachMemberOnce() {
  std::size_t same = 0;
  ForEachField<Struct>([&](const auto& a) {
    ForEachField<Struct>([&](const auto& b) {
      if constexpr (std::is_same_v<decltype(a.member), decltype(b.member)>)
        same += a.member == b.member ? 1 : 0;
    });
  });
  return same == FieldCount<Struct>();
}

template <class Struct>
constexpr std::size_t UntaggedCount() {
  std::size_t n = 0;
  ForEachField<Struct>([&](const auto& f) { n += f.traits.digest_tag == 0 ? 1 : 0; });
  return n;
}

template <class Struct>
constexpr bool TaggedLast() {
  bool tagged = false, ok = true;
  ForEachField<Struct>([&](const auto& f) {
    if (f.traits.digest_tag != 0)
      tagged = true;
    else if (tagged)
      ok = false;
  });
  return ok;
}

// A nested struct's tags share the digest's positions with its parent's, so tags are
// distinct across every list, not just within one.
template <class... Structs>
constexpr bool TagsDistinct() {
  char tags[(FieldCount<Structs>() + ...)] = {};
  std::size_t n = 0;
  (ForEachField<Structs>([&](const auto& f) {
     if (f.traits.digest_tag != 0) tags[n++] = f.traits.digest_tag;
   }),
   ...);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j)
      if (tags[i] == tags[j]) return false;
  return true;
}

// An unset optional is written nowhere (digest and JSON), which is what a tag provides.
template <class Struct>
constexpr bool OptionalsTagged() {
  bool ok = true;
  ForEachField<Struct>([&](const auto& f) {
    using T = typename std::remove_cvref_t<decltype(f)>::Value;
    if (kIsOptional<T> && f.traits.digest_tag == 0) ok = false;
  });
  return ok;
}

template <class Struct>
constexpr bool SameAsHasValue() {
  bool ok = true;
  ForEachField<Struct>([&](const auto& f) {
    if ((f.traits.empty == Empty::kSameAs) != !f.traits.empty_is.empty()) ok = false;
  });
  return ok;
}

}  // namespace spec_fields_detail

static_assert(FieldCount<ContainerSpec>() == MemberCount<ContainerSpec>(),
              "every member of ContainerSpec needs an entry in FieldList<ContainerSpec>");
static_assert(FieldCount<Healthcheck>() == MemberCount<Healthcheck>(),
              "every member of Healthcheck needs an entry in FieldList<Healthcheck>");
static_assert(spec_fields_detail::EachMemberOnce<ContainerSpec>() &&
                  spec_fields_detail::EachMemberOnce<Healthcheck>(),
              "a member is listed twice in a FieldList");
static_assert(spec_fields_detail::UntaggedCount<ContainerSpec>() == 7 &&
                  spec_fields_detail::UntaggedCount<Healthcheck>() == 4,
              "a field added to the spec needs a digest_tag: without one the digest of every "
              "spec changes, and jlrec would replace every container on every host");
static_assert(spec_fields_detail::TaggedLast<ContainerSpec>() &&
                  spec_fields_detail::TaggedLast<Healthcheck>(),
              "fields with a digest_tag come after those without");
static_assert(spec_fields_detail::TagsDistinct<ContainerSpec, Healthcheck>(),
              "two fields share a digest_tag: their digests could collide");
static_assert(spec_fields_detail::OptionalsTagged<ContainerSpec>() &&
                  spec_fields_detail::OptionalsTagged<Healthcheck>(),
              "an optional field needs a digest_tag (it is left out while unset)");
static_assert(spec_fields_detail::SameAsHasValue<ContainerSpec>() &&
                  spec_fields_detail::SameAsHasValue<Healthcheck>(),
              "Empty::kSameAs goes with empty_is, and only it");

}  // namespace jlrec
