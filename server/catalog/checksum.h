// Migration checksums: the SHA-256 of a migration's text as the build reads
// it, line endings and byte-order mark normalized, so the same migration
// checked out on Windows (git core.autocrlf: CRLF) or saved with a BOM has
// the same checksum as on Linux and is not refused as edited.
//
//   std::string text = NormalizeMigrationText(file_bytes);  // what is embedded
//   std::string sum = Sha256Hex(text);                      // Migration.up_sha256
//   bool same = SameMigrationText(recorded_sum, text);      // history vs. build
//
// Histories recorded before the normalization keep matching: a file that had
// LF endings and no BOM hashes exactly as before, and a history row recorded
// from a CRLF or BOM checkout (the raw bytes' SHA-256) is accepted as the
// same text by SameMigrationText.
//
// Pure; thread-safe.
#ifndef SCHEMAGATE_SERVER_CATALOG_CHECKSUM_H_
#define SCHEMAGATE_SERVER_CATALOG_CHECKSUM_H_

#include <string>

#include "absl/strings/string_view.h"

namespace schemagate::catalog {

// Lowercase hex SHA-256 of `bytes`.
std::string Sha256Hex(absl::string_view bytes);

// `text` without a leading UTF-8 byte-order mark and with CRLF line endings
// turned into LF (a lone CR is kept).
std::string NormalizeMigrationText(absl::string_view text);

// True when `recorded` (a history row's checksum) is the SHA-256 of
// `normalized` as written with LF or CRLF endings, with or without a BOM.
bool SameMigrationText(absl::string_view recorded, absl::string_view normalized);

}  // namespace schemagate::catalog

#endif  // SCHEMAGATE_SERVER_CATALOG_CHECKSUM_H_
