#include "model/registry_host.h"

#include <charconv>

namespace jlrec {

namespace {

constexpr const char* kLegacyDockerHub = "index.docker.io";

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Docker's reference grammar for a domain component: [a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?
bool IsDomainComponent(std::string_view part) {
  if (part.empty() || !IsAlnum(part.front()) || !IsAlnum(part.back())) return false;
  for (char c : part)
    if (!IsAlnum(c) && c != '-') return false;
  return true;
}

}  // namespace

std::string RegistryHostOf(const std::string& ref) {
  const auto slash = ref.find('/');
  if (slash == std::string::npos) return kDockerHubRegistry;
  const std::string first = ref.substr(0, slash);
  if (first.find_first_of(".:") == std::string::npos && first != "localhost")
    return kDockerHubRegistry;
  return first == kLegacyDockerHub ? kDockerHubRegistry : first;
}

std::string CredentialKeyOf(const std::string& registry) {
  return registry == kDockerHubRegistry ? kDockerHubCredentialKey : registry;
}

std::optional<std::string> CheckRegistryHost(const std::string& text) {
  if (text.empty()) return "the registry is empty";
  if (text.find("://") != std::string::npos || text.find('/') != std::string::npos)
    return "write the registry as HOST[:PORT], the way image references begin (e.g. "
           "registry.example.com or 127.0.0.1:5001), not as a URL or path";
  if (text == kLegacyDockerHub) return "Docker Hub is written docker.io";
  std::string_view host = text;
  if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
    const std::string_view port = host.substr(colon + 1);
    int n = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || n < 1 || n > 65535)
      return "the port after ':' must be a number from 1 to 65535";
    host = host.substr(0, colon);
  }
  for (std::size_t start = 0;;) {
    const std::size_t dot = host.find('.', start);
    if (!IsDomainComponent(host.substr(start, dot - start)))
      return "the host must be a DNS name or IPv4 address (letters, digits, '-' and '.')";
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  // A bare name is a Docker Hub namespace in an image reference ("team/app"): a registry
  // written so would never be the one an image is pulled from.
  if (text != kDockerHubRegistry && RegistryHostOf(text + "/x") != text)
    return "image references name a registry only when it has a '.' or a ':PORT' or is "
           "localhost; \"" +
           text + "/app\" would be the Docker Hub repository " + text + "/app";
  return std::nullopt;
}

}  // namespace jlrec
