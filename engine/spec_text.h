// A container spec's fields as plans show them, driven by the spec's one field list
// (model/spec_fields.h): the changes of a replace and the attributes of a create use the same
// names and the same words for the same values.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/container_spec.h"
#include "model/spec_fields.h"

namespace jlrec {

/// A string field's value as compared and shown: an empty one as what it stands for, if
/// anything (restart "" is "no").
std::string NormalValue(const FieldTraits& field, const std::string& value);

/// `items` sorted.
std::vector<std::string> SortedValues(std::vector<std::string> items);

/// A field's value on one line, as a plan's changes show it: "(none)" for nothing (or the
/// image's default), a list as "[a, b]" (sorted when its order means nothing), labels as
/// "[k=v, ...]", a healthcheck as "[cmd ...] every 1s, timeout 60s, 3 retries". One overload
/// per field type: a field of a new type does not compile until it has one.
std::string FieldText(const FieldTraits& field, const std::string& value);
std::string FieldText(const FieldTraits& field, const std::vector<std::string>& value);
std::string FieldText(const FieldTraits& field, const std::map<std::string, std::string>& value);
std::string FieldText(const FieldTraits& field, const std::optional<Healthcheck>& value);

/// One attribute of a container about to be made, as a create plan lists it.
struct SpecAttribute {
  std::string name;                ///< the field's name (model/spec_fields.h)
  std::string value;               ///< the value on one line; "" when `items` holds it
  std::vector<std::string> items;  ///< a list too long for one line, an item per line
};

/// The fields of `spec` in field list order, each as a create plan lists it: a field left
/// to the image's default says so ("(image default)"); a field that holds none of its kind
/// (no volumes, no labels, no healthcheck) is left out; a list whose one-line form is longer
/// than `inline_width` comes as items.
std::vector<SpecAttribute> DescribeSpec(const ContainerSpec& spec, std::size_t inline_width = 60);

}  // namespace jlrec
