// The import's cluster assignment (assign.h): the Assigner's passes over a
// flat history, the names it follows across renames, and the dependency
// graph between clusters, owners that follow from the map. Choosing a
// migration's cluster is assign_choose.cc; the down file, reshapes and
// hazards assign_hazards.cc.
#include "server/generator/import/assign.h"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/generator/import/assign_state.h"
#include "server/sql/parser.h"

namespace schemagate::generator::import {

namespace assign_internal {

std::string KindWord(const Entity& e) {
  if (e.kind == ObjKind::kType) return "type";
  if (e.kind == ObjKind::kFunction) return "function";
  switch (e.relkind) {
    case 'v':
      return "view";
    case 'm':
      return "materialized view";
    case 'S':
      return "sequence";
    default:
      return "table";
  }
}

}  // namespace assign_internal

using assign_internal::kCore;
using assign_internal::KindWord;

Assigner::State::State(const ImportMapIndex* map, Diagnostics* diagnostics, ImportReport* report)
    : map_(map), diagnostics_(diagnostics), report_(report) {
  for (const v1::ImportCluster& c : map->map().cluster()) {
    if (c.depends_on_size() > 0) {
      explicit_.insert(c.name());
      for (const std::string& d : c.depends_on()) edges_[c.name()].insert(d);
    }
    if (c.requires_features_size() > 0) {
      bridges_.insert(c.name());
      for (const std::string& f : c.requires_features()) {
        if (edges_[c.name()].insert(f).second && !explicit_.count(c.name())) {
          inferred_[c.name()].push_back({f, "requires_features"});
        }
      }
    }
  }
}

std::vector<FlatAssignment> Assigner::State::Run(const std::vector<AnalyzedFlat>& history) {
  // Pass 1: who is who across renames, and how types and sequences are
  // used; then the owners that follow from the map alone.
  pass_ = 1;
  tables_by_flat_.assign(history.size(), {});
  for (size_t i = 0; i < history.size(); ++i) {
    flat_index_ = i;
    for (const StatementFacts& f : history[i].up) {
      SimulateCreates(history[i], f);
      Lookahead(f);
      SimulateChanges(f);
    }
  }
  Claim();
  // The main cluster of each flat migration: the one most of its new
  // tables belong to (data statements follow it).
  for (const std::vector<size_t>& ids : tables_by_flat_) {
    std::map<std::string, int> count;
    std::string best;
    for (size_t id : ids) {
      int n = ++count[entities_[id].owner];
      if (n > count[best] || best.empty()) best = entities_[id].owner;
    }
    main_.push_back(best);
  }
  // The dependencies the whole history will need: a new table of one
  // cluster naming a table of another (no choice there). They settle a
  // change that links two clusters before either depends on the other.
  for (const auto& [table, named] : created_refs_) {
    const std::string& from = entities_[table].owner;
    const std::string& to = entities_[named].owner;
    if (!from.empty() && !to.empty() && from != to) {
      later_[from].emplace(to, entities_[table].created_at);
    }
  }
  // Pass 2: assign, in the flat order.
  pass_ = 2;
  ResetNames();
  std::vector<FlatAssignment> out;
  for (size_t i = 0; i < history.size(); ++i) out.push_back(AssignOne(i, history[i]));
  ReportHazards();
  return out;
}

bool Assigner::State::LaterDepends(const std::string& c, const std::string& o) const {
  return o == kCore || c == o || Reaches(c, o, /*with_later=*/true);
}

bool Assigner::State::Reaches(const std::string& from, const std::string& to,
                              bool with_later) const {
  std::set<std::string> seen;
  std::vector<std::string> stack = {from};
  while (!stack.empty()) {
    std::string at = stack.back();
    stack.pop_back();
    if (!seen.insert(at).second) continue;
    if (at == to) return true;
    if (auto it = edges_.find(at); it != edges_.end()) {
      stack.insert(stack.end(), it->second.begin(), it->second.end());
    }
    if (!with_later) continue;
    if (auto it = later_.find(at); it != later_.end()) {
      for (const auto& [d, where] : it->second) stack.push_back(d);
    }
  }
  return false;
}

bool Assigner::State::InClosure(const std::string& a, const std::string& b) const {
  return a == b || a == kCore || Reaches(b, a, /*with_later=*/false);
}

std::map<std::string, std::vector<std::string>> Assigner::State::Dependencies() const {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [c, deps] : edges_) {
    for (const std::string& d : deps) {
      if (d != kCore) out[c].push_back(d);
    }
  }
  return out;
}

const std::map<std::string, std::vector<InferredDependency>>& Assigner::State::Inferred() const {
  return inferred_;
}

std::map<std::string, std::vector<std::string>> Assigner::State::Tables() const {
  std::map<std::string, std::vector<std::string>> out;
  for (size_t id : table_order_) {
    const Entity& e = entities_[id];
    if (alive_.count(id) && !e.owner.empty()) out[e.owner].push_back(e.names.back());
  }
  return out;
}

std::map<std::string, size_t>& Assigner::State::Names(ObjKind kind) {
  return kind == ObjKind::kType ? types_ : kind == ObjKind::kFunction ? functions_ : relations_;
}

std::optional<size_t> Assigner::State::Find(ObjKind kind, const std::string& name) {
  auto& names = Names(kind);
  auto it = names.find(name);
  if (it == names.end()) return std::nullopt;
  return it->second;
}

void Assigner::State::ResetNames() {
  relations_.clear();
  types_.clear();
  functions_.clear();
  next_id_ = 0;
  alive_.clear();
}

void Assigner::State::SimulateCreates(const AnalyzedFlat& flat, const StatementFacts& f) {
  for (const StatementFacts::Created& c : f.creates) {
    if (c.obj.kind != ObjKind::kRelation && c.obj.kind != ObjKind::kType &&
        c.obj.kind != ObjKind::kFunction) {
      continue;
    }
    if (Find(c.obj.kind, c.obj.name)) continue;  // IF NOT EXISTS / OR REPLACE
    size_t id = next_id_++;
    if (pass_ == 1) {
      Entity e;
      e.kind = c.obj.kind;
      e.relkind = c.relkind;
      e.names = {c.obj.name};
      e.created_at = At(flat, f);
      entities_.push_back(std::move(e));
      if (c.obj.kind == ObjKind::kRelation && (c.relkind == 't')) {
        table_order_.push_back(id);
        tables_by_flat_[flat_index_].push_back(id);
      }
    }
    Names(c.obj.kind)[c.obj.name] = id;
    alive_.insert(id);
  }
}

void Assigner::State::SimulateChanges(const StatementFacts& f) {
  // Relations, types and functions are followed across renames (Entity).
  auto followed = [](ObjKind k) {
    return k == ObjKind::kRelation || k == ObjKind::kType || k == ObjKind::kFunction;
  };
  for (const auto& [obj, to] : f.renames) {
    if (!followed(obj.kind)) continue;
    std::optional<size_t> id = Find(obj.kind, obj.name);
    if (!id) continue;
    Names(obj.kind).erase(obj.name);
    Names(obj.kind)[to] = *id;
    if (pass_ == 1) entities_[*id].names.push_back(to);
  }
  for (const Obj& obj : f.drops) {
    if (!followed(obj.kind)) continue;
    std::optional<size_t> id = Find(obj.kind, obj.name);
    if (!id) continue;
    Names(obj.kind).erase(obj.name);
    alive_.erase(*id);
  }
}

void Assigner::State::Lookahead(const StatementFacts& f) {
  // How types and sequences are used: by the table the statement creates
  // or is about.
  std::optional<size_t> table;
  for (const StatementFacts::Created& c : f.creates) {
    if (c.obj.kind == ObjKind::kRelation && c.relkind == 't')
      table = Find(ObjKind::kRelation, c.obj.name);
  }
  if (!table && f.subject && f.subject->kind == ObjKind::kRelation) {
    table = Find(ObjKind::kRelation, f.subject->name);
  }
  if (table && entities_[*table].relkind == 't') {
    // A new table naming another: its cluster will depend on that one's.
    bool creates_it = false;
    for (const StatementFacts::Created& c : f.creates) {
      creates_it = creates_it || (c.obj.kind == ObjKind::kRelation &&
                                  Find(ObjKind::kRelation, c.obj.name) == table);
    }
    if (creates_it) {
      for (const std::string& r : f.relations) {
        std::optional<size_t> id = Find(ObjKind::kRelation, r);
        if (id && *id != *table) created_refs_.push_back({*table, *id});
      }
    }
    for (const std::string& t : f.types) {
      if (std::optional<size_t> id = Find(ObjKind::kType, t)) type_users_[*id].insert(*table);
    }
    for (const std::string& s : f.strings) {
      std::optional<size_t> id = Find(ObjKind::kRelation, s);
      if (id && entities_[*id].relkind == 'S' && !sequence_owner_.count(*id)) {
        sequence_owner_[*id] = *table;
      }
    }
  }
  for (const auto& [seq, tab] : f.sequence_owners) {
    std::optional<size_t> s = Find(ObjKind::kRelation, seq);
    std::optional<size_t> t = Find(ObjKind::kRelation, tab);
    if (s && t) sequence_owner_[*s] = *t;  // OWNED BY wins over use
  }
}

std::string Assigner::State::Fallback() const {
  return map_->default_cluster().empty() ? kCore : map_->default_cluster();
}

void Assigner::State::Claim() {
  for (Entity& e : entities_) {
    for (auto name = e.names.rbegin(); name != e.names.rend(); ++name) {
      ImportMapIndex::Claim claim = map_->Match(*name, diagnostics_);
      if (!claim.cluster.empty()) {
        e.owner = claim.cluster;
        e.pattern = claim.pattern;
        break;
      }
    }
  }
  auto table_owner = [&](size_t id) -> std::string {
    const Entity& t = entities_[id];
    if (!t.owner.empty()) return t.owner;
    return map_->default_cluster();
  };
  for (size_t id = 0; id < entities_.size(); ++id) {
    Entity& e = entities_[id];
    if (!e.owner.empty()) continue;
    if (e.kind == ObjKind::kRelation && e.relkind == 't') {
      if (map_->default_cluster().empty()) {
        AddError(e.created_at, absl::StrCat("table \"", e.names.back(),
                                            "\" is claimed by no pattern of ", map_->path(),
                                            " and the map has no default_cluster; list it in a "
                                            "cluster's tables"));
        e.owner = kCore;  // to go on finding problems
      } else {
        e.owner = map_->default_cluster();
      }
    } else if (e.kind == ObjKind::kRelation && e.relkind == 'S') {
      auto it = sequence_owner_.find(id);
      std::string owner = it == sequence_owner_.end() ? "" : table_owner(it->second);
      e.owner = owner.empty() ? Fallback() : owner;
      e.guessed = !owner.empty();
    } else if (e.kind == ObjKind::kType) {
      std::set<std::string> owners;
      for (size_t t : type_users_[id]) owners.insert(table_owner(t));
      owners.erase("");
      if (owners.size() == 1) {
        e.owner = *owners.begin();
        e.guessed = true;
      } else {
        e.owner = Fallback();
      }
    }
    // Views, materialized views and functions: from their definition.
  }
}

Assigner::Assigner(const ImportMapIndex* map, Diagnostics* diagnostics, ImportReport* report)
    : state_(std::make_unique<State>(map, diagnostics, report)) {}
Assigner::~Assigner() = default;

std::vector<FlatAssignment> Assigner::Run(const std::vector<AnalyzedFlat>& history) {
  return state_->Run(history);
}
std::map<std::string, std::vector<std::string>> Assigner::Dependencies() const {
  return state_->Dependencies();
}
const std::map<std::string, std::vector<InferredDependency>>& Assigner::Inferred() const {
  return state_->Inferred();
}
std::map<std::string, std::vector<std::string>> Assigner::Tables() const {
  return state_->Tables();
}
bool Assigner::InClosure(const std::string& a, const std::string& b) const {
  return state_->InClosure(a, b);
}

}  // namespace schemagate::generator::import
