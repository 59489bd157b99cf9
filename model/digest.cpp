#include "model/digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <cstdlib>
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

std::string Hex(const unsigned char* bytes, unsigned int len) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(static_cast<size_t>(len) * 2, '\0');
  for (unsigned int i = 0; i < len; ++i) {
    out[2 * i] = kHex[bytes[i] >> 4];
    out[2 * i + 1] = kHex[bytes[i] & 0xf];
  }
  return out;
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
  return Hex(md.data(), len);
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md.data(), &len);
  return Hex(md.data(), len);
}

namespace {

// The stand-in for an empty key: random, made once per process, never stored.
const std::string& ProcessKey() {
  static const std::string key = [] {
    std::string k(32, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(k.data()), static_cast<int>(k.size())) != 1)
      std::abort();  // no entropy at all: nothing keyed can be trusted
    return k;
  }();
  return key;
}

std::string_view KeyOrProcessKey(std::string_view key) {
  return key.empty() ? std::string_view(ProcessKey()) : key;
}

}  // namespace

std::string ScriptDigest(std::string_view key, std::string_view script) {
  // The domain prefixes keep a script's digest from ever equalling a secret value's.
  std::string data = "jlrec script\n";
  data += script;
  return HmacSha256Hex(KeyOrProcessKey(key), data);
}

std::string SecretValueDigest(std::string_view key, std::string_view value) {
  std::string data = "jlrec secret\n";
  data += value;
  return HmacSha256Hex(KeyOrProcessKey(key), data);
}

bool DigestsEqual(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace jlrec
