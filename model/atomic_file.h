// Writing a file so that no reader ever sees half of it: the content goes to a temporary file
// beside it, is flushed to disk, and is then moved into place (rename is atomic within a
// folder). What `import-legacy -o` and `drift --textfile` write.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "model/status.h"

namespace jlrec {

/// Writes `content` to a new temporary file in `path`'s folder, named ".NAME.tmp-XXXXXX" (a
/// hidden name no glob like node_exporter's `*.prom` picks up), with permissions `mode`
/// (nullopt: 0666 less the umask, as any new file), fsync'ed; returns its name. kIoError
/// naming `path` when it cannot; nothing is left behind then.
Result<std::string> WriteTemporaryBeside(const std::string& path, const std::string& content,
                                         std::optional<mode_t> mode = std::nullopt);

/// Moves `temporary` (from WriteTemporaryBeside) to `path`. With `replace`, over whatever is
/// there; without, only if nothing is (kConflict otherwise, with no window between the check
/// and the move where the filesystem has hard links). The temporary file is gone afterwards
/// either way. kIoError naming `path` when the move fails.
Status MoveIntoPlace(const std::string& temporary, const std::string& path, bool replace);

/// Makes the renames done in `folder` durable (fsync of the folder). Best effort: a folder
/// that cannot be opened only loses that guarantee.
void SyncFolder(const std::string& folder);

/// WriteTemporaryBeside, MoveIntoPlace with replace, then SyncFolder: `path` holds either
/// its old content or `content`, whole, even across a crash. Errors as those functions'.
Status WriteFileAtomically(const std::string& path, const std::string& content,
                           std::optional<mode_t> mode = std::nullopt);

}  // namespace jlrec
