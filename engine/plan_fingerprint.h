// A plan's fingerprint: what a client that was shown a plan hands back to have exactly that
// plan applied (the server's answer to Terraform's saved plan file). Two plans have the same
// fingerprint when they would do the same things to the same containers, seen in the same
// state, to make the same thing.
#pragma once

#include <string>
#include <vector>

#include "engine/plan.h"

namespace jlrec {

/// "hmac-sha256:HEX" over the plan's project, groups, manifest digest, unreachable hosts and,
/// per action: kind, container, reason kind, adoption, the live fingerprint it was computed
/// from and the image, spec and /run.sh it makes. Keyed with `key` (a secret of the process
/// that hands fingerprints out), so no one can test a guess of a script's content against it.
/// No-ops do not count: a container that stops being one becomes an action.
std::string PlanFingerprint(const Plan& plan, const std::string& key);

/// One line per action ("+ create lab1/web (missing)"), as PlanChanges compares them.
std::vector<std::string> PlanOutline(const Plan& plan);

/// How `now` differs from `before` (outlines), for a "stale plan" answer: "lab1/web: now
/// `~ update ...`; lab2/db: no longer planned (was `> start ...`)"; at most `max_items` items
/// then "and N more". "" when the outlines are equal.
std::string PlanChanges(const std::vector<std::string>& before, const std::vector<std::string>& now,
                        std::size_t max_items = 5);

}  // namespace jlrec
