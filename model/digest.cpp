#include "model/digest.h"

#include <openssl/evp.h>

#include <array>
#include <memory>

namespace jlrec {

namespace {

// OpenSSL 3 looks the algorithm up in its provider tables on every EVP_sha256()-based
// one-shot call (~15k instructions, more than hashing a 1 KB script with SHA-NI), so the
// algorithm is fetched once per process and each thread reuses one context.
const EVP_MD* Sha256Algorithm() {
  static const EVP_MD* md = [] {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched ? fetched : EVP_sha256();
  }();
  return md;
}

struct ContextDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

EVP_MD_CTX* ThreadContext() {
  thread_local std::unique_ptr<EVP_MD_CTX, ContextDeleter> ctx(EVP_MD_CTX_new());
  return ctx.get();
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  EVP_MD_CTX* ctx = ThreadContext();
  bool ok = ctx && EVP_DigestInit_ex2(ctx, Sha256Algorithm(), nullptr) == 1 &&
            EVP_DigestUpdate(ctx, data.data(), data.size()) == 1 &&
            EVP_DigestFinal_ex(ctx, md.data(), &len) == 1;
  // Only an allocation failure inside OpenSSL gets here; the slow one-shot path still
  // gives the right answer.
  if (!ok) EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(static_cast<size_t>(len) * 2, '\0');
  for (unsigned int i = 0; i < len; ++i) {
    out[2 * i] = kHex[md[i] >> 4];
    out[2 * i + 1] = kHex[md[i] & 0xf];
  }
  return out;
}

}  // namespace jlrec
