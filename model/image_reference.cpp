#include "model/image_reference.h"

namespace jlrec {

std::string RepoOf(const std::string& ref) {
  auto at = ref.find('@');
  std::string r = at == std::string::npos ? ref : ref.substr(0, at);
  auto slash = r.rfind('/');
  auto colon = r.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash))
    r = r.substr(0, colon);
  return r;
}

std::string DigestFor(const std::string& repo, const std::vector<std::string>& repo_digests) {
  for (const auto& rd : repo_digests) {
    auto at = rd.find('@');
    if (at != std::string::npos && rd.compare(0, at, repo) == 0 && at == repo.size())
      return rd.substr(at + 1);
  }
  return "";
}

}  // namespace jlrec
