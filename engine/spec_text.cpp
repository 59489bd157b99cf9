#include "engine/spec_text.h"

#include <algorithm>
#include <type_traits>

#include "model/strings.h"

namespace jlrec {

namespace {

std::string ListValue(const std::vector<std::string>& v) {
  return v.empty() ? "(none)" : "[" + Join(v) + "]";
}

std::string DurationValue(std::chrono::milliseconds d) {
  return d.count() % 1000 == 0 ? std::to_string(d.count() / 1000) + "s"
                               : std::to_string(d.count()) + "ms";
}

std::vector<std::string> LabelItems(const std::map<std::string, std::string>& m) {
  std::vector<std::string> kv;
  for (const auto& [k, v] : m) kv.push_back(k + "=" + v);
  return kv;
}

}  // namespace

std::string NormalValue(const FieldTraits& field, const std::string& value) {
  return field.empty == Empty::kSameAs && value.empty() ? std::string(field.empty_is) : value;
}

std::vector<std::string> SortedValues(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  return items;
}

std::string FieldText(const FieldTraits& field, const std::string& value) {
  if (field.empty == Empty::kInvalid) return value;
  const std::string normal = NormalValue(field, value);
  return normal.empty() ? "(none)" : normal;
}

std::string FieldText(const FieldTraits& field, const std::vector<std::string>& value) {
  return ListValue(field.unordered ? SortedValues(value) : value);
}

std::string FieldText(const FieldTraits&, const std::map<std::string, std::string>& value) {
  return ListValue(LabelItems(value));
}

std::string FieldText(const FieldTraits&, const std::optional<Healthcheck>& value) {
  if (!value) return "(none)";
  return ListValue(value->command) + " every " + DurationValue(value->interval) + ", timeout " +
         DurationValue(value->timeout) + ", " + std::to_string(value->retries) + " retries";
}

std::vector<SpecAttribute> DescribeSpec(const ContainerSpec& spec, std::size_t inline_width) {
  std::vector<SpecAttribute> out;
  ForEachField<ContainerSpec>([&](const auto& field) {
    const FieldTraits& traits = field.traits;
    SpecAttribute attribute{std::string(traits.name), "", {}};
    if (HoldsDefault(field, spec)) {
      if (traits.empty == Empty::kNone) return;  // none of it: nothing to list
      if (traits.empty == Empty::kImageDefault) attribute.value = "(image default)";
    }
    if (attribute.value.empty()) {
      using T = typename std::remove_cvref_t<decltype(field)>::Value;
      attribute.value = FieldText(traits, field.Of(spec));
      if constexpr (std::is_same_v<T, std::vector<std::string>> ||
                    std::is_same_v<T, std::map<std::string, std::string>>) {
        if (attribute.value.size() > inline_width) {
          attribute.value.clear();
          if constexpr (std::is_same_v<T, std::vector<std::string>>)
            attribute.items = traits.unordered ? SortedValues(field.Of(spec)) : field.Of(spec);
          else
            attribute.items = LabelItems(field.Of(spec));
        }
      }
    }
    out.push_back(std::move(attribute));
  });
  return out;
}

}  // namespace jlrec
