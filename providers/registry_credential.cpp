#include "providers/registry_credential.h"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "model/registry_host.h"

namespace jlrec {

namespace {

// The daemon decodes the header with Go's base64.URLEncoding: '-' and '_', padded.
std::string Base64Url(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

}  // namespace

std::string RegistryCredential::Who() const {
  return identity_token.empty() ? username : "an identity token";
}

std::string RegistryAuthHeader(const RegistryCredential& credential) {
  nlohmann::json auth{{"serveraddress", CredentialKeyOf(credential.registry)}};
  if (!credential.identity_token.empty()) {
    auth["identitytoken"] = credential.identity_token;
  } else {
    auth["username"] = credential.username;
    auth["password"] = credential.password;
  }
  // Bytes that are not UTF-8 become U+FFFD, as in the docker CLI's (Go's) JSON, rather than
  // an exception.
  return Base64Url(auth.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace jlrec
