// Assigning the statements of a flat history to clusters.
//
// Ownership: a table (view, sequence, type, function) belongs to the
// cluster whose map pattern claims one of its names (its last name first:
// a table renamed later is claimed by what it is called today); unclaimed
// tables go to the default cluster, unclaimed sequences and types to the
// cluster of the tables that use them, unclaimed views and functions to the
// cluster their definition is assigned to. Indexes, constraints, triggers,
// policies, rules and added columns belong to the cluster of the statement
// that creates them.
//
// A statement goes to the one cluster among those it touches that may
// depend on all the others (the dependent one); a statement that creates a
// table always goes to the table's cluster. Dependencies are the map's
// depends_on where given, otherwise inferred from these assignments (each
// with its evidence). What cannot be assigned without breaking the gating
// rule, or would make a dependency cycle, is an error naming the statement.
#ifndef SCHEMAGATE_SERVER_GENERATOR_IMPORT_ASSIGN_H_
#define SCHEMAGATE_SERVER_GENERATOR_IMPORT_ASSIGN_H_

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/generator/diagnostic.h"
#include "server/generator/import/analyze.h"
#include "server/generator/import/flat_history.h"
#include "server/generator/import/import.h"
#include "server/generator/import/import_map.h"

namespace schemagate::generator::import {

// One statement of a flat file and where it goes.
struct Placed {
  size_t offset = 0;
  size_t length = 0;
  int line = 0;
  std::string cluster;  // "" for session statements (SET: repeated in every
                        // part after them) and left-out ones
  bool session = false;
  bool left_out = false;  // BEGIN / COMMIT: the tree runs its own transactions
  bool no_transaction = false;
};

// The assignment of one flat migration.
struct FlatAssignment {
  std::vector<Placed> up;
  std::vector<Placed> down;
  // Why each cluster's part cannot be rolled back ("" entries: it can).
  std::map<std::string, std::string> irreversible;
  // The clusters with a part, in order of their first statement.
  std::vector<std::string> parts;
};

struct AnalyzedFlat {
  const FlatMigration* flat = nullptr;
  std::vector<StatementFacts> up;
  // The down file's facts, or why it cannot be split.
  absl::StatusOr<std::vector<StatementFacts>> down = std::vector<StatementFacts>{};
};

class Assigner {
 public:
  // `map`, `diagnostics` and `report` must outlive the assigner.
  Assigner(const ImportMapIndex* map, Diagnostics* diagnostics, ImportReport* report);
  ~Assigner();

  // Assigns the whole history (analyzed, in the tool's order).
  std::vector<FlatAssignment> Run(const std::vector<AnalyzedFlat>& history);

  // The final dependencies of each cluster (without core), sorted.
  std::map<std::string, std::vector<std::string>> Dependencies() const;
  // Inferred dependencies with their evidence.
  const std::map<std::string, std::vector<InferredDependency>>& Inferred() const;
  // Final table names per cluster, in creation order.
  std::map<std::string, std::vector<std::string>> Tables() const;
  // Is `a` in `b`'s dependency closure (core is in every closure)?
  bool InClosure(const std::string& a, const std::string& b) const;

 private:
  class State;
  std::unique_ptr<State> state_;
};

}  // namespace schemagate::generator::import

#endif  // SCHEMAGATE_SERVER_GENERATOR_IMPORT_ASSIGN_H_
