// The fault and HA suites' oracle for "the schema is exactly what the
// history says": the up.sql of each recorded migration, read from the
// migrations tree on disk (independent of the binaries under test),
// replayed in the recorded order by psql into a fresh database of the `pg`
// fixture server, then compared object by object (pg_catalog, SchemaOf).
//
//   std::vector<std::string> history = ...;   // "cluster/version", in seq order
//   auto expected = ReplayedSchema(Env("SCHEMAGATE_TREE_DIR"), history, "ref");
//   EXPECT_EQ(*SchemaOf(live_url), *expected);
#ifndef SCHEMAGATE_TESTS_SUPPORT_SCHEMA_ORACLE_H_
#define SCHEMAGATE_TESTS_SUPPORT_SCHEMA_ORACLE_H_

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace schemagate::test {

// "cluster/version" -> its up.sql, for every migration of the tree.
std::map<std::string, std::filesystem::path> UpSqlFiles(const std::string& tree_dir);

// The whole file, bytes as they are ("" when it cannot be read).
std::string ReadTextFile(const std::filesystem::path& path);

// The schema (SchemaOf) of a fresh database of the fixture server into
// which psql replayed the up.sql of `history` ("cluster/version" each, in
// order). NOT_FOUND when a recorded migration is not in the tree.
absl::StatusOr<std::vector<std::string>> ReplayedSchema(const std::string& tree_dir,
                                                        const std::vector<std::string>& history,
                                                        const std::string& hint);

// The lines of `a` that are not in `b` (a multiset difference).
std::vector<std::string> Minus(const std::vector<std::string>& a,
                               const std::vector<std::string>& b);

}  // namespace schemagate::test

#endif  // SCHEMAGATE_TESTS_SUPPORT_SCHEMA_ORACLE_H_
