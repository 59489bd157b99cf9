// A login for one image registry and the form the Docker daemon takes it in: the
// X-Registry-Auth header of pulls (POST /images/create) and of registry digest checks
// (GET /distribution/{ref}/json).
#pragma once

#include <string>

namespace jlrec {

/// Credentials for one registry. The password and the identity token are secrets: they go
/// into RegistryAuthHeader and nowhere else (no message, log line or record).
struct RegistryCredential {
  std::string registry;        ///< HOST[:PORT] it is for (see RegistryHostOf)
  std::string username;        ///< "" when an identity token stands in for the login
  std::string password;        ///< secret
  std::string identity_token;  ///< secret: an OAuth refresh token instead of a password
  /// Where it was found, for messages: "the manifest's registries:", "/root/.docker/
  /// config.json", "credential helper docker-credential-pass".
  std::string source;
  /// Who logs in, for messages: the username, or "an identity token".
  std::string Who() const;
};

/// The X-Registry-Auth value for `credential`: base64url (with padding, as the docker CLI
/// writes it) of the JSON {"username","password","serveraddress"}, or
/// {"identitytoken","serveraddress"} when an identity token is set. serveraddress is
/// CredentialKeyOf(credential.registry).
std::string RegistryAuthHeader(const RegistryCredential& credential);

}  // namespace jlrec
