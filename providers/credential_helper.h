// Docker credential helpers (docker-credential-NAME): the programs the docker CLI asks for a
// registry's login when config.json names one in credsStore or credHelpers.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "model/status.h"
#include "providers/registry_credential.h"

namespace jlrec {

/// How long a helper may run before it is killed (a keychain that waits for an unlock).
inline constexpr std::chrono::seconds kCredentialHelperTimeout{30};

/// Runs `docker-credential-<helper> get` as the docker CLI does: found on PATH, started
/// without a shell, CredentialKeyOf(`registry`) on its stdin, its JSON answer
/// {"ServerURL","Username","Secret"} on stdout. Username "<token>" means Secret is an
/// identity token. nullopt when the helper has no login for it (it exits non-zero saying
/// "credentials not found in native keychain", or answers an empty Secret). kUnavailable
/// when `helper` is not a plain name, the program is not on PATH, it fails, its answer is
/// not that JSON, or it runs past `timeout` (it is then killed). No message quotes what the
/// helper printed when it succeeded: that holds the secret. Thread-safe.
Result<std::optional<RegistryCredential>> RunCredentialHelper(
    const std::string& helper, const std::string& registry,
    std::chrono::milliseconds timeout = kCredentialHelperTimeout);

/// Runs a credential helper (RunCredentialHelper's contract), so that tests can stand in
/// for real programs.
using CredentialHelperRunner = std::function<Result<std::optional<RegistryCredential>>(
    const std::string& helper, const std::string& registry)>;

}  // namespace jlrec
