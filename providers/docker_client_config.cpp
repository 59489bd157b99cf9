#include "providers/docker_client_config.h"

#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "model/registry_host.h"

namespace jlrec {

namespace {

using nlohmann::json;

// The docker CLI's ConvertToHostname: a key written as a URL names the host it points at.
std::string HostnameOfKey(const std::string& key) {
  std::string stripped = key;
  for (const char* scheme : {"http://", "https://"}) {
    if (stripped.rfind(scheme, 0) == 0) {
      stripped.erase(0, std::strlen(scheme));
      break;
    }
  }
  return stripped.substr(0, stripped.find('/'));
}

// Standard base64 (config.json's `auth`), padding and all; nullopt when it is not.
std::optional<std::string> DecodeBase64(const std::string& text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  std::size_t size = static_cast<std::size_t>(n);
  for (auto it = text.rbegin(); it != text.rend() && *it == '=' && size > 0; ++it) --size;
  out.resize(size);
  return out;
}

std::string StringField(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

// The credential an `auths` entry holds; nullopt when it holds none.
Result<std::optional<RegistryCredential>> FromAuthEntry(const DockerClientConfig& config,
                                                        const std::string& key,
                                                        const DockerClientConfig::Auth& entry,
                                                        const std::string& registry) {
  RegistryCredential credential;
  credential.registry = registry;
  credential.source = config.path;
  if (!entry.identity_token.empty()) {
    credential.identity_token = entry.identity_token;
    return std::optional<RegistryCredential>(std::move(credential));
  }
  if (!entry.auth.empty()) {
    auto decoded = DecodeBase64(entry.auth);
    const std::size_t colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos)
      return Status::InvalidArgument(config.path + ": auths[\"" + key +
                                     "\"].auth is not base64 of user:password");
    credential.username = decoded->substr(0, colon);
    credential.password = decoded->substr(colon + 1);
  } else {
    credential.username = entry.username;
    credential.password = entry.password;
  }
  if (credential.username.empty() && credential.password.empty())
    return std::optional<RegistryCredential>();
  return std::optional<RegistryCredential>(std::move(credential));
}

}  // namespace

std::string DockerClientConfigPath(
    const std::function<std::optional<std::string>(const std::string&)>& getenv) {
  if (auto dir = getenv("DOCKER_CONFIG"); dir && !dir->empty()) return *dir + "/config.json";
  if (auto home = getenv("HOME"); home && !home->empty()) return *home + "/.docker/config.json";
  return "";
}

Result<DockerClientConfig> ParseDockerClientConfig(const std::string& text,
                                                   const std::string& path) {
  DockerClientConfig config;
  config.path = path;
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception&) {
    // json's message quotes the text around the fault, which may be a secret.
    return Status::InvalidArgument(path + " is not valid JSON");
  }
  if (!doc.is_object()) return Status::InvalidArgument(path + " is not a JSON object");
  if (auto auths = doc.find("auths"); auths != doc.end() && !auths->is_null()) {
    if (!auths->is_object()) return Status::InvalidArgument(path + ": \"auths\" is not an object");
    for (const auto& [key, value] : auths->items()) {
      if (!value.is_object())
        return Status::InvalidArgument(path + ": auths[\"" + key + "\"] is not an object");
      DockerClientConfig::Auth entry;
      entry.auth = StringField(value, "auth");
      entry.username = StringField(value, "username");
      entry.password = StringField(value, "password");
      entry.identity_token = StringField(value, "identitytoken");
      config.auths.emplace(key, std::move(entry));
    }
  }
  config.creds_store = StringField(doc, "credsStore");
  if (auto helpers = doc.find("credHelpers"); helpers != doc.end() && !helpers->is_null()) {
    if (!helpers->is_object())
      return Status::InvalidArgument(path + ": \"credHelpers\" is not an object");
    for (const auto& [key, value] : helpers->items()) {
      if (!value.is_string())
        return Status::InvalidArgument(path + ": credHelpers[\"" + key + "\"] is not a string");
      config.cred_helpers.emplace(key, value.get<std::string>());
    }
  }
  return config;
}

Result<std::optional<DockerClientConfig>> LoadDockerClientConfig(const std::string& path) {
  if (path.empty()) return std::optional<DockerClientConfig>();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::optional<DockerClientConfig>();
    return Status::IoError("cannot read " + path + ": " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto config = ParseDockerClientConfig(text.str(), path);
  if (!config.ok()) return config.status();
  return std::optional<DockerClientConfig>(std::move(*config));
}

Result<std::optional<RegistryCredential>> CredentialFromClientConfig(
    const DockerClientConfig& config, const std::string& registry,
    const CredentialHelperRunner& run_helper) {
  const std::string key = CredentialKeyOf(registry);
  std::string helper = config.creds_store;
  if (auto it = config.cred_helpers.find(key); it != config.cred_helpers.end()) helper = it->second;
  if (!helper.empty()) return run_helper(helper, registry);
  if (auto it = config.auths.find(key); it != config.auths.end())
    return FromAuthEntry(config, it->first, it->second, registry);
  for (const auto& [written, entry] : config.auths)
    if (HostnameOfKey(written) == key) return FromAuthEntry(config, written, entry, registry);
  return std::optional<RegistryCredential>();
}

}  // namespace jlrec
