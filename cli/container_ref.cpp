#include "cli/container_ref.h"

#include <algorithm>
#include <vector>

#include "model/suggestion.h"

namespace jlrec::cli {

namespace {

// The names, comma-separated, at most `limit` of them (then "and N more").
std::string List(const std::vector<std::string>& names, std::size_t limit = 8) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < limit; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > limit) out += " and " + std::to_string(names.size() - limit) + " more";
  return out;
}

// " (did you mean 'X'?)" for the candidate nearest to `word`, "" when none is close.
std::string Suggest(std::string_view word, const std::vector<std::string>& candidates,
                    const std::string& prefix = "") {
  auto nearest = NearestName(word, candidates);
  return nearest ? " (did you mean '" + prefix + *nearest + "'?)" : "";
}

// The manifest's containers on `host`, sorted.
std::vector<std::string> ContainersOn(const DesiredState& desired, const std::string& host) {
  std::vector<std::string> names;
  for (const auto& c : desired.containers)
    if (c.host == host) names.push_back(c.name);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

Result<ContainerRef> ResolveContainerRef(const DesiredState& desired, std::string_view ref) {
  const std::string text(ref);
  if (ref.empty())
    return Status::InvalidArgument("name a container: HOST/NAME, or NAME when one host has it");
  const auto slash = ref.find('/');
  if (slash != std::string_view::npos) {
    const std::string host(ref.substr(0, slash));
    const std::string name(ref.substr(slash + 1));
    if (host.empty() || name.empty() || name.find('/') != std::string::npos)
      return Status::InvalidArgument("'" + text + "' is not HOST/NAME");
    if (desired.hosts.count(host) == 0) {
      std::vector<std::string> hosts;
      for (const auto& [key, connection] : desired.hosts) hosts.push_back(key);
      return Status::NotFound("no host '" + host + "' in the manifest" + Suggest(host, hosts) +
                              " (hosts: " + List(hosts) + ")");
    }
    const auto names = ContainersOn(desired, host);
    const bool known = std::binary_search(names.begin(), names.end(), name);
    return ContainerRef{host, name, known};
  }

  std::vector<ContainerRef> matches;
  std::vector<std::string> names;
  for (const auto& c : desired.containers) {
    names.push_back(c.name);
    if (c.name == ref) matches.push_back(ContainerRef{c.host, c.name, true});
  }
  if (matches.size() == 1) return matches.front();
  if (matches.size() > 1) {
    std::vector<std::string> refs;
    for (const auto& m : matches) refs.push_back(m.Text());
    std::sort(refs.begin(), refs.end());
    return Status::InvalidArgument("container '" + text + "' is on " + std::to_string(refs.size()) +
                                   " hosts: " + List(refs, 20) + "; name one as HOST/NAME");
  }
  if (desired.hosts.count(text) != 0) {
    const auto on_host = ContainersOn(desired, text);
    return Status::InvalidArgument(
        "'" + text + "' is a host: name a container on it as " + text + "/NAME" +
        (on_host.empty() ? std::string(" (the manifest places none there)")
                         : " (the manifest's: " + List(on_host) + ")"));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return Status::NotFound("no container '" + text + "' in the manifest" + Suggest(ref, names));
}

std::string MissingContainerMessage(const DesiredState& desired, const ContainerRef& ref) {
  if (ref.in_manifest)
    return "no container " + ref.container + " on " + ref.host +
           " yet (the manifest places it there: jlrec apply creates it)";
  return "no container " + ref.container + " on " + ref.host +
         Suggest(ref.container, ContainersOn(desired, ref.host), ref.host + "/");
}

}  // namespace jlrec::cli
