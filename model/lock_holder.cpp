#include "model/lock_holder.h"

#include "model/rfc3339.h"

namespace jlrec {

std::string LockPurpose(const std::string& name) {
  const std::size_t colon = name.find(':');
  if (colon == std::string::npos) return name;
  return name.substr(0, colon) + " " + name.substr(colon + 1);
}

std::string DescribeLockHolder(const LockInfo& holder) {
  std::string text = "locked by " + holder.owner + " pid " + std::to_string(holder.pid);
  // owner is user@machine already; the machine is named again only when it differs.
  const std::size_t at = holder.owner.rfind('@');
  const std::string owner_machine = at == std::string::npos ? "" : holder.owner.substr(at + 1);
  if (!holder.hostname.empty() && holder.hostname != owner_machine)
    text += " on " + holder.hostname;
  return text + " since " + FormatRfc3339Utc(holder.since) + " for " + LockPurpose(holder.name);
}

}  // namespace jlrec
