// Internal to the import's cluster assignment (assign.h): Assigner::State,
// which follows every object of a flat history across renames, decides the
// cluster of each migration and the dependencies between clusters, and
// reports what it guessed. Its members are defined in assign.cc (the passes
// over the history, names, owners from the map, the dependency graph),
// assign_choose.cc (choosing a migration's cluster) and assign_hazards.cc
// (the down file, reshapes and hazards).
#ifndef SCHEMAGATE_SERVER_GENERATOR_IMPORT_ASSIGN_STATE_H_
#define SCHEMAGATE_SERVER_GENERATOR_IMPORT_ASSIGN_STATE_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "server/catalog/features.h"
#include "server/generator/import/assign.h"

namespace schemagate::generator::import {
namespace assign_internal {

inline const std::string kCore(catalog::kCoreCluster);

// A relation, type or function followed across renames.
struct Entity {
  ObjKind kind = ObjKind::kRelation;
  char relkind = 0;
  std::vector<std::string> names;  // in the order it had them
  std::string owner;               // "" until known
  std::string pattern;             // the map pattern that claimed it
  std::string created_at;          // file:line
  bool guessed = false;            // owner chosen from how it is used
};

// "table", "view", "sequence", "type", ...
std::string KindWord(const Entity& e);

}  // namespace assign_internal

class Assigner::State {
 public:
  using Entity = assign_internal::Entity;

  State(const ImportMapIndex* map, Diagnostics* diagnostics, ImportReport* report);

  std::vector<FlatAssignment> Run(const std::vector<AnalyzedFlat>& history);

  // Does `c` depend on `o` now, or through the dependencies that new
  // tables of the whole history need (later_)?
  bool LaterDepends(const std::string& c, const std::string& o) const;

  // Is `to` reachable from `from` over edges_ (and later_ too)?
  bool Reaches(const std::string& from, const std::string& to, bool with_later) const;

  // Does `b` depend on `a` (core: everything does)?
  bool InClosure(const std::string& a, const std::string& b) const;

  std::map<std::string, std::vector<std::string>> Dependencies() const;

  const std::map<std::string, std::vector<InferredDependency>>& Inferred() const;

  std::map<std::string, std::vector<std::string>> Tables() const;

 private:
  // --- names -----------------------------------------------------------------
  std::map<std::string, size_t>& Names(ObjKind kind);
  std::optional<size_t> Find(ObjKind kind, const std::string& name);
  void ResetNames();

  // What a statement does to the names (both passes): what it creates,
  // then (SimulateChanges) what it renames and drops.
  void SimulateCreates(const AnalyzedFlat& flat, const StatementFacts& f);

  void SimulateChanges(const StatementFacts& f);

  // How types and sequences are used (pass 1, before the statement's
  // changes are applied).
  void Lookahead(const StatementFacts& f);

  // --- owners from the map ----------------------------------------------------
  std::string Fallback() const;

  void Claim();

  // --- pass 2 ----------------------------------------------------------------
  struct Touch {
    std::map<std::string, std::vector<std::string>> clusters;  // cluster -> why
    std::string fixed;  // the cluster a created table/type/... forces
    std::string subject_owner;
    bool guessed = false;
    std::vector<std::string> guess_reasons;
    std::vector<size_t> referenced;  // entity ids of other clusters' relations named
  };

  std::string At(const AnalyzedFlat& flat, const StatementFacts& f) const;

  std::string OwnerOfObject(const Obj& o);

  Touch Collect(const StatementFacts& f, bool forward);

  // Can `c` depend on `o` (directly or by a new edge)? Sets *why otherwise.
  bool CanDepend(const std::string& c, const std::string& o, std::string* why) const;

  // The evidence of a dependency path from `from` to `to`.
  std::string PathEvidence(const std::string& from, const std::string& to) const;

  void AddEdge(const std::string& c, const std::string& o, const std::string& evidence);

  void AddError(const std::string& at, const std::string& message);
  void AddWarning(const std::string& at, const std::string& message);

  void Seen(const std::string& cluster);

  // The cluster for a statement; *noted when the choice was recorded as a
  // guess.
  std::string Choose(const StatementFacts& f, const Touch& t, const std::string& at,
                     const std::string& main, bool* noted);

  std::string ChooseCluster(const StatementFacts& f, const Touch& t, const std::string& at,
                            const std::string& main);

  // Records what a statement assigned to `c` creates, adds, renames, drops.
  void Apply(const StatementFacts& f, const std::string& c);

  FlatAssignment AssignOne(size_t index, const AnalyzedFlat& flat);

  std::string Describe(const StatementFacts& f) const;

  void AssignDown(const AnalyzedFlat& flat, const std::string& main, FlatAssignment* out);

  // --- reordering hazards ----------------------------------------------------
  struct Reference {
    size_t flat;
    std::string at;
    std::string cluster;
    size_t entity;
  };
  struct Reshape {
    size_t flat;
    std::string at;
    std::string cluster;
    std::string what;
  };

  void RecordReshapes(size_t index, const std::string& at, const std::string& c,
                      const StatementFacts& f);

  void ReportHazards();

  std::string FormatLabel() const { return report_->format; }

  const ImportMapIndex* map_;
  Diagnostics* diagnostics_;
  ImportReport* report_;
  int pass_ = 1;

  std::vector<Entity> entities_;
  std::vector<size_t> table_order_;
  size_t flat_index_ = 0;
  std::vector<std::vector<size_t>> tables_by_flat_;  // pass 1: tables each creates
  std::vector<std::string> main_;                    // main cluster of each
  size_t next_id_ = 0;
  std::set<size_t> alive_;
  std::map<std::string, size_t> relations_, types_, functions_;
  std::map<size_t, std::set<size_t>> type_users_;
  std::map<size_t, size_t> sequence_owner_;
  // (new table, a relation its CREATE names), from pass 1.
  std::vector<std::pair<size_t, size_t>> created_refs_;
  // cluster -> clusters its new tables name, with where (file:line).
  std::map<std::string, std::map<std::string, std::string>> later_;
  std::map<std::string, std::string> index_owner_;
  std::map<std::tuple<size_t, ObjKind, std::string>, std::string> sub_owner_;

  std::map<std::string, std::set<std::string>> edges_;
  std::map<std::pair<std::string, std::string>, std::string> evidence_;
  std::map<std::string, std::vector<InferredDependency>> inferred_;
  std::set<std::string> explicit_;
  std::set<std::string> bridges_;
  std::map<std::string, size_t> first_seen_;

  std::vector<Reference> references_;
  std::map<size_t, std::vector<Reshape>> reshapes_;
};

}  // namespace schemagate::generator::import

#endif  // SCHEMAGATE_SERVER_GENERATOR_IMPORT_ASSIGN_STATE_H_
