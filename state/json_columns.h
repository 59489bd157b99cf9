// The JSON encodings of the list- and map-valued columns of the state file.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "model/container_spec.h"
#include "model/status.h"

namespace jlrec {

/// `values` as a JSON array of strings.
std::string StringListToJson(const std::vector<std::string>& values);
/// The strings of JSON array `json`; kIoError naming `column` when it is not one.
Result<std::vector<std::string>> StringListFromJson(const std::string& json, const char* column);

/// `values` as a JSON object of strings.
std::string StringMapToJson(const std::map<std::string, std::string>& values);
/// The entries of JSON object `json`; kIoError naming `column` when it is not one.
Result<std::map<std::string, std::string>> StringMapFromJson(const std::string& json,
                                                             const char* column);

/// The fields of `spec`'s field list (model/spec_fields.h) that have no column of their own
/// (all but image and labels) as a JSON object, a member per field named as the field (today
/// command, network_mode, volumes, restart, ports, and when there is one the healthcheck as
/// {"command": [...], "timeout_ms": N, "interval_ms": N, "retries": N}): a duration is an
/// integer number of milliseconds named NAME_ms; a field added since the column's first
/// version (one with a digest tag, like the healthcheck) is left out while it holds its
/// default.
std::string SpecFieldsToJson(const ContainerSpec& spec);
/// Fills those fields of `spec` from `json`. A missing field added since the first version
/// is its default (no "healthcheck" member: no healthcheck, as in rows written before it was
/// cached); members it does not know are skipped (a newer jlrec wrote them). kIoError when
/// it is malformed: a missing field of the first version, a value of the wrong type, an
/// integer with a fraction or out of range.
Status SpecFieldsFromJson(const std::string& json, ContainerSpec& spec);

}  // namespace jlrec
