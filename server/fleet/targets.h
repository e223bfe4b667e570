// schemagate::fleet — start here for fleets: one build, many databases (a
// database per tenant, or shards), each with its own feature set inside the
// build's (docs/FLEETS.md).
//
// A target set comes from a text-format schemagate.v1.TargetSet file
// (proto/schemagate/v1/fleet.proto) and/or a SQL query against a control
// database returning the same columns. Loading never fails for one bad
// target: each problem (a bad or duplicate id, both or neither URL fields,
// an unreadable URL file, a URL libpq rejects, a feature the build does not
// have) is recorded in that target's `problem` and the others load. Only a
// source that cannot be read at all (a missing file, a syntax error, the
// control database down) is an error.
//
//   TargetSource source{.file = "targets.textproto"};
//   absl::StatusOr<std::vector<Target>> targets = LoadTargets(source, catalogs);
//   for (const Target& t : *targets) if (!t.problem.empty()) Report(t);
//
// Every URL read is parsed as libpq parses it (migrate::ConnInfo), which
// registers its password with log::AddSecret before anything can print it;
// targets are described by host:port/dbname only.
//
// Thread safety: the functions are thread-compatible (FeatureCatalogs is
// thread-safe).
#ifndef SCHEMAGATE_SERVER_FLEET_TARGETS_H_
#define SCHEMAGATE_SERVER_FLEET_TARGETS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/catalog/catalog.h"
#include "server/fleet/feature_catalogs.h"
#include "server/migrate/db.h"

namespace schemagate::fleet {

struct Target {
  std::string id;
  // The connection string (a secret: never print it; see `database`).
  std::string url;
  std::string url_file;  // as given, when the URL came from a file
  // The features as given (empty: every feature of the base catalog).
  std::vector<std::string> features;
  std::map<std::string, std::string> labels;
  std::string wave;
  // host:port/dbname, for messages.
  std::string database;
  // host:port, for the per-host parallelism bound.
  std::string host;
  // Where it was defined: "targets.textproto: target #3", "query row 3".
  std::string origin;
  // The target's catalog: the base narrowed to its features (shared by
  // every target with the same enabled set). Null when `problem` is set.
  std::shared_ptr<const catalog::Catalog> catalog;
  // Why this target cannot be used; empty when it can.
  std::string problem;

  bool ok() const { return problem.empty(); }
  // Same definition (id, URL, features, labels, wave): a reload keeps it.
  bool SameDefinition(const Target& other) const;
};

// Where a target set comes from: a file, a query, or both (merged; an id
// defined twice is a problem of both definitions).
struct TargetSource {
  std::string file;   // text-format schemagate.v1.TargetSet
  std::string query;  // SQL run against `control`
  migrate::ConnectOptions control;
  // statement_timeout of the query's read-only transaction (zero: none).
  absl::Duration statement_timeout = absl::Seconds(30);

  bool empty() const { return file.empty() && query.empty(); }
  // "targets.textproto", "query on host:port/db", or both.
  std::string Describe() const;
};

// Reads and checks every target of `source` against `catalogs` (sorted by
// id). INVALID_ARGUMENT when the file cannot be read or does not parse
// (naming the file, line and column) or the query's columns are wrong;
// UNAVAILABLE when the control database cannot be reached; the query's own
// error otherwise.
absl::StatusOr<std::vector<Target>> LoadTargets(const TargetSource& source,
                                                FeatureCatalogs& catalogs);

// The same for a text-format TargetSet given as a string (`name` for
// messages). Exposed for tests.
absl::StatusOr<std::vector<Target>> ParseTargetSet(const std::string& name, const std::string& text,
                                                   FeatureCatalogs& catalogs);

// The same for the rows of a control query (columns by name: id,
// database_url, database_url_file, features, labels, wave; id and one of
// the URLs required). INVALID_ARGUMENT naming a missing or unknown column.
absl::StatusOr<std::vector<Target>> TargetsFromRows(const migrate::Rows& rows,
                                                    const std::string& name,
                                                    FeatureCatalogs& catalogs);

// Ids: 1 to 128 of [A-Za-z0-9_-]; "" when `id` is one, else the problem.
std::string IdProblem(const std::string& id);

// "key=value" selectors: true when `target` has every label.
bool MatchesLabels(const Target& target, const std::map<std::string, std::string>& labels);
// Parses "key=value" items; INVALID_ARGUMENT naming a malformed one.
absl::StatusOr<std::map<std::string, std::string>> ParseLabels(
    const std::vector<std::string>& items);

}  // namespace schemagate::fleet

#endif  // SCHEMAGATE_SERVER_FLEET_TARGETS_H_
