// Content digests used to compare desired and live state.
#pragma once

#include <string>
#include <string_view>

namespace jlrec {

/// Lower-case hex SHA-256 of `data` (64 characters). Deterministic, thread-safe.
std::string Sha256Hex(std::string_view data);

/// Lower-case hex HMAC-SHA-256 of `data` under `key` (64 characters): a digest that only a
/// holder of the key can compute, so it cannot confirm a guess of what `data` holds.
std::string HmacSha256Hex(std::string_view key, std::string_view data);

/// The digest jlrec keeps and shows of a /run.sh (the jlrec.script-digest label, snapshots,
/// plans, releases): HMAC-SHA-256 under `key`, the state key (state/state_key.h), because a
/// /run.sh holds secret values and a plain digest would confirm a guessed one offline. Equal
/// scripts have equal digests under one key. An empty `key` stands for a random key made once
/// per process (for loads that store nothing, such as `validate`, and for tests): never a
/// plain digest.
std::string ScriptDigest(std::string_view key, std::string_view script);

/// What a secret value contributes to a digest that is kept or shown (the manifest digest):
/// keyed like ScriptDigest, with the same meaning of an empty `key`.
std::string SecretValueDigest(std::string_view key, std::string_view value);

/// Whether two digests are equal, in time that does not depend on where they differ (for
/// checking a MAC).
bool DigestsEqual(std::string_view a, std::string_view b);

}  // namespace jlrec
