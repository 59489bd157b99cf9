/// Fuzzes image reference parsing (model/image_reference.h): the input is split at its first
/// NUL into a reference and a list of RepoDigests (one per line).
///
/// Asserts, beyond no crash:
/// - RepoOf is a prefix of the reference and holds no '@'; tagging that repository
///   ("REPO:t") or pinning the reference ("REF@sha256:d") gives the same repository back;
/// - DigestFor returns "" or the part after '@' of one of the digests, which names `repo`
///   exactly; the digest of "REPO@sha256:0" alone is found.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "model/image_reference.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = input.find('\0');
  const std::string ref = input.substr(0, nul);
  std::vector<std::string> digests;
  if (nul != std::string::npos) {
    for (std::size_t start = nul + 1; start <= input.size();) {
      std::size_t end = input.find('\n', start);
      if (end == std::string::npos) end = input.size();
      digests.push_back(input.substr(start, end - start));
      start = end + 1;
    }
  }

  const std::string repo = jlrec::RepoOf(ref);
  FUZZ_CHECK(ref.compare(0, repo.size(), repo) == 0, ref);
  FUZZ_CHECK(repo.find('@') == std::string::npos, ref);
  FUZZ_CHECK(jlrec::RepoOf(repo + ":t") == repo, ref);
  if (ref.find('@') == std::string::npos) FUZZ_CHECK(jlrec::RepoOf(ref + "@sha256:d") == repo, ref);

  const std::string digest = jlrec::DigestFor(repo, digests);
  if (!digest.empty()) {
    bool named = false;
    for (const auto& d : digests) named = named || d == repo + "@" + digest;
    FUZZ_CHECK(named, input);
  }
  FUZZ_CHECK(jlrec::DigestFor(repo, {repo + "@sha256:0"}) == "sha256:0", ref);
  return 0;
}
