// The import's cluster assignment, per migration: what a migration's
// statements touch, which cluster may own it (the map, the objects' owners,
// the dependencies allowed), the choice and its evidence, and the down
// file's — as members of Assigner::State (assign_state.h).
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

using assign_internal::kCore;
using assign_internal::KindWord;

std::string Assigner::State::At(const AnalyzedFlat& flat, const StatementFacts& f) const {
  size_t at = sql::SkipSpaceAndComments(flat.flat->up_sql, f.offset);
  return absl::StrCat(flat.flat->up_path, ":", sql::PositionOf(flat.flat->up_sql, at).line);
}

std::string Assigner::State::OwnerOfObject(const Obj& o) {
  switch (o.kind) {
    case ObjKind::kIndex: {
      auto it = index_owner_.find(o.name);
      return it == index_owner_.end() ? "" : it->second;
    }
    case ObjKind::kRelation:
    case ObjKind::kType:
    case ObjKind::kFunction: {
      std::optional<size_t> id = Find(o.kind, o.name);
      return id ? entities_[*id].owner : "";
    }
    default: {
      std::optional<size_t> table = Find(ObjKind::kRelation, o.table);
      if (!table) return "";
      auto it = sub_owner_.find({*table, o.kind, o.name});
      return it == sub_owner_.end() ? entities_[*table].owner : it->second;
    }
  }
}

Assigner::State::Touch Assigner::State::Collect(const StatementFacts& f, bool forward) {
  Touch t;
  auto add = [&](const std::string& cluster, std::string why) {
    if (!cluster.empty()) t.clusters[cluster].push_back(std::move(why));
  };
  if (f.subject) {
    t.subject_owner = OwnerOfObject(*f.subject);
    add(t.subject_owner, absl::StrCat("changes ", f.subject->name));
  }
  if (forward) {
    for (const StatementFacts::Created& c : f.creates) {
      if (c.obj.kind != ObjKind::kRelation && c.obj.kind != ObjKind::kType &&
          c.obj.kind != ObjKind::kFunction) {
        continue;
      }
      std::optional<size_t> id = Find(c.obj.kind, c.obj.name);
      if (!id || entities_[*id].owner.empty()) continue;  // derived below
      const Entity& e = entities_[*id];
      add(e.owner, absl::StrCat("creates ", KindWord(e), " ", c.obj.name));
      if (t.fixed.empty()) t.fixed = e.owner;
    }
  }
  auto relation = [&](const std::string& name, const std::string& why, bool guess) {
    std::optional<size_t> id = Find(ObjKind::kRelation, name);
    if (!id || entities_[*id].owner.empty()) return false;
    add(entities_[*id].owner, absl::StrCat(why, " ", KindWord(entities_[*id]), " ", name));
    t.referenced.push_back(*id);
    if (guess) {
      t.guessed = true;
      t.guess_reasons.push_back(absl::StrCat(why, " ", name));
    }
    return true;
  };
  for (const std::string& r : f.relations) relation(r, "names", false);
  for (const std::string& s : f.strings) relation(s, "names (in a string)", true);
  for (const std::string& name : f.types) {
    std::optional<size_t> id = Find(ObjKind::kType, name);
    if (id && !entities_[*id].owner.empty()) add(entities_[*id].owner, "uses type " + name);
  }
  for (const std::string& name : f.functions) {
    std::optional<size_t> id = Find(ObjKind::kFunction, name);
    if (id && !entities_[*id].owner.empty()) {
      add(entities_[*id].owner, "calls function " + name);
    }
  }
  for (const Obj& o : f.objects) add(OwnerOfObject(o), "names " + o.name);
  // Columns added to a table by another cluster.
  std::set<size_t> in_scope;
  if (f.subject && f.subject->kind == ObjKind::kRelation) {
    if (auto id = Find(ObjKind::kRelation, f.subject->name)) in_scope.insert(*id);
  }
  for (const std::string& r : f.relations) {
    if (auto id = Find(ObjKind::kRelation, r)) in_scope.insert(*id);
  }
  for (const auto& [rel, col] : f.columns) {
    std::vector<size_t> tables;
    std::optional<size_t> id = rel.empty() ? std::nullopt : Find(ObjKind::kRelation, rel);
    if (id) {
      tables = {*id};
    } else {
      tables.assign(in_scope.begin(), in_scope.end());
    }
    for (size_t table : tables) {
      auto it = sub_owner_.find({table, ObjKind::kColumn, col});
      if (it != sub_owner_.end())
        add(it->second, absl::StrCat("names column ", entities_[table].names.back(), ".", col,
                                     " (added by ", it->second, ")"));
    }
  }
  // Words of a body: every known table, function and type it names.
  if (f.has_body) {
    for (const std::string& w : f.body_words) {
      bool self = false;
      for (const StatementFacts::Created& c : f.creates) self = self || c.obj.name == w;
      if (self) continue;
      if (relation(w, "body names", true)) continue;
      if (std::optional<size_t> id = Find(ObjKind::kFunction, w);
          id && !entities_[*id].owner.empty()) {
        add(entities_[*id].owner, "body calls function " + w);
        t.guessed = true;
        t.guess_reasons.push_back("body calls function " + w);
      }
    }
  }
  return t;
}

bool Assigner::State::CanDepend(const std::string& c, const std::string& o,
                                std::string* why) const {
  if (InClosure(o, c)) return true;
  if (c == kCore) {
    *why = absl::StrCat("core is always on and cannot depend on feature \"", o, "\"");
    return false;
  }
  if (bridges_.count(o)) {
    *why = absl::StrCat("nothing may depend on bridge \"", o, "\"");
    return false;
  }
  if (explicit_.count(c)) {
    *why = absl::StrCat("cluster \"", c, "\" lists its depends_on in ", map_->path(), ":",
                        map_->LineOfCluster(c), " without \"", o, "\"");
    return false;
  }
  if (InClosure(c, o)) {
    *why = absl::StrCat("\"", o, "\" already depends on \"", c, "\" (", PathEvidence(o, c),
                        "), so this would be a dependency cycle");
    return false;
  }
  return true;
}

std::string Assigner::State::PathEvidence(const std::string& from, const std::string& to) const {
  std::map<std::string, std::string> parent;
  std::vector<std::string> queue = {from};
  parent[from] = "";
  for (size_t i = 0; i < queue.size(); ++i) {
    auto it = edges_.find(queue[i]);
    if (it == edges_.end()) continue;
    for (const std::string& d : it->second) {
      if (parent.count(d)) continue;
      parent[d] = queue[i];
      queue.push_back(d);
    }
  }
  if (!parent.count(to)) return "";
  std::vector<std::string> steps;
  for (std::string at = to; !parent[at].empty(); at = parent[at]) {
    auto ev = evidence_.find({parent[at], at});
    steps.push_back(
        absl::StrCat(parent[at], " -> ", at, ev == evidence_.end() ? "" : ": " + ev->second));
  }
  std::reverse(steps.begin(), steps.end());
  return absl::StrJoin(steps, "; ");
}

void Assigner::State::AddEdge(const std::string& c, const std::string& o,
                              const std::string& evidence) {
  if (InClosure(o, c)) return;
  edges_[c].insert(o);
  evidence_[{c, o}] = evidence;
  inferred_[c].push_back({o, evidence});
}

void Assigner::State::AddError(const std::string& at, const std::string& message) {
  size_t colon = at.rfind(':');
  int line = 0;
  if (colon != std::string::npos && absl::SimpleAtoi(at.substr(colon + 1), &line)) {
    diagnostics_->Add(at.substr(0, colon), line, 0, message);
  } else {
    diagnostics_->Add(at, 0, 0, message);
  }
}

void Assigner::State::AddWarning(const std::string& at, const std::string& message) {
  size_t colon = at.rfind(':');
  int line = 0;
  if (colon != std::string::npos && absl::SimpleAtoi(at.substr(colon + 1), &line)) {
    diagnostics_->Warn(at.substr(0, colon), line, 0, message);
  } else {
    diagnostics_->Warn(at, 0, 0, message);
  }
}

void Assigner::State::Seen(const std::string& cluster) {
  if (!cluster.empty() && !first_seen_.count(cluster)) {
    first_seen_[cluster] = first_seen_.size();
  }
}

std::string Assigner::State::Choose(const StatementFacts& f, const Touch& t, const std::string& at,
                                    const std::string& main, bool* noted) {
  const size_t guesses_before = report_->guesses.size();
  std::string chosen = ChooseCluster(f, t, at, main);
  *noted = report_->guesses.size() > guesses_before;
  return chosen;
}

std::string Assigner::State::ChooseCluster(const StatementFacts& f, const Touch& t,
                                           const std::string& at, const std::string& main) {
  if (t.clusters.empty()) return Fallback();
  std::vector<std::string> touched;
  for (const auto& [c, why] : t.clusters) touched.push_back(c);
  auto others_of = [&](const std::string& c) {
    std::vector<std::string> out;
    for (const std::string& o : touched) {
      if (o != c) out.push_back(o);
    }
    return out;
  };
  auto first_why = [&](const std::string& o) {
    auto it = t.clusters.find(o);
    return it == t.clusters.end() || it->second.empty() ? std::string() : it->second.front();
  };
  std::string chosen;
  auto can_hold_all = [&](const std::string& c) {
    for (const std::string& o : touched) {
      std::string why;
      if (o != c && !CanDepend(c, o, &why)) return false;
    }
    return true;
  };
  if (!t.fixed.empty()) {
    chosen = t.fixed;
  } else if (f.data && !main.empty() && can_hold_all(main)) {
    // Data statements (seed rows, backfills) follow their migration: the
    // rows a tasks migration puts into a core table are tasks' rows.
    chosen = main;
    if (t.clusters.size() != 1 || !t.clusters.count(main)) {
      report_->guesses.push_back({at, Describe(f), chosen,
                                  absl::StrCat("a data statement on ", absl::StrJoin(touched, ", "),
                                               " in a migration that mostly creates tables of \"",
                                               main, "\": it goes with them")});
    }
  } else {
    std::vector<std::string> exact, possible;
    for (const std::string& c : touched) {
      bool all_in = true, all_possible = true;
      for (const std::string& o : others_of(c)) {
        std::string why;
        all_in = all_in && InClosure(o, c);
        all_possible = all_possible && CanDepend(c, o, &why);
      }
      if (all_in) exact.push_back(c);
      if (all_possible) possible.push_back(c);
    }
    // A bridge of the map whose closure holds every touched cluster.
    std::string bridge;
    for (const std::string& b : bridges_) {
      bool covers = true;
      for (const std::string& o : touched) covers = covers && InClosure(o, b);
      if (covers && (bridge.empty() || InClosure(b, bridge))) bridge = b;
    }
    if (!exact.empty()) {
      chosen = std::find(exact.begin(), exact.end(), t.subject_owner) != exact.end()
                   ? t.subject_owner
                   : exact.front();
    } else if (!bridge.empty()) {
      // Links between two features live in the bridge that requires both.
      chosen = bridge;
      report_->guesses.push_back(
          {at, Describe(f), chosen,
           absl::StrCat("links ", absl::StrJoin(touched, " and "),
                        ", which do not depend on each other: it goes to their bridge \"", bridge,
                        "\"")});
    } else if (!possible.empty()) {
      // A cluster that later migrations make depend on all the others
      // (e.g. a feature adding a column that references its own table
      // to a table of a cluster it creates tables against later).
      std::string later;
      for (const std::string& c : possible) {
        bool all_later = true;
        for (const std::string& o : others_of(c)) all_later = all_later && LaterDepends(c, o);
        if (all_later && (later.empty() || c == t.subject_owner)) later = c;
      }
      if (!later.empty()) {
        chosen = later;
        if (chosen != t.subject_owner) {
          std::vector<std::string> evidence;
          for (const std::string& o : others_of(chosen)) {
            const std::string* where = nullptr;
            if (auto it = later_.find(chosen); it != later_.end()) {
              if (auto e = it->second.find(o); e != it->second.end()) where = &e->second;
            }
            if (where != nullptr) {
              evidence.push_back(
                  absl::StrCat("\"", chosen, "\" creates a table naming \"", o, "\" at ", *where));
            } else {
              evidence.push_back(
                  absl::StrCat("\"", chosen, "\" depends on \"", o, "\" through later migrations"));
            }
          }
          report_->guesses.push_back(
              {at, Describe(f), chosen,
               absl::StrCat("links ", absl::StrJoin(touched, " and "),
                            ", which do not depend on each other yet; it goes to \"", chosen,
                            "\", which will depend on the rest: ", absl::StrJoin(evidence, "; "))});
        }
      } else if (std::find(possible.begin(), possible.end(), t.subject_owner) != possible.end()) {
        chosen = t.subject_owner;
      } else {
        // None depends on the others yet: the newest cluster depends on
        // the older ones.
        chosen = *std::max_element(possible.begin(), possible.end(),
                                   [&](const std::string& a, const std::string& b) {
                                     return first_seen_[a] < first_seen_[b];
                                   });
        report_->guesses.push_back(
            {at, f.what, chosen,
             absl::StrCat("touches ", absl::StrJoin(touched, ", "),
                          ", none of which depends on the others yet; \"", chosen,
                          "\" (the most recently introduced) now depends on the rest")});
      }
    } else {
      chosen = t.subject_owner.empty() ? touched.front() : t.subject_owner;
    }
  }
  // Every other touched cluster must be in its closure, by a new edge if
  // need be.
  for (const std::string& o : others_of(chosen)) {
    std::string why;
    if (CanDepend(chosen, o, &why)) {
      AddEdge(chosen, o, absl::StrCat(at, ": ", f.what, " ", first_why(o)));
      continue;
    }
    std::string suggestion =
        chosen == kCore ? absl::StrCat("; map the objects that link them to \"", o,
                                       "\" (or to a bridge cluster requiring both), or move this "
                                       "change into a migration of \"",
                                       o, "\"")
                        : absl::StrCat("; merge \"", chosen, "\" and \"", o,
                                       "\", or put the tables that link them in a bridge cluster "
                                       "that requires both features");
    AddError(at,
             absl::StrCat(f.what, " belongs to cluster \"", chosen, "\" (", first_why(chosen),
                          ") but ", first_why(o), " of cluster \"", o, "\": ", why, suggestion));
  }
  return chosen;
}

void Assigner::State::Apply(const StatementFacts& f, const std::string& c) {
  for (const StatementFacts::Created& cr : f.creates) {
    switch (cr.obj.kind) {
      case ObjKind::kRelation:
      case ObjKind::kType:
      case ObjKind::kFunction: {
        std::optional<size_t> id = Find(cr.obj.kind, cr.obj.name);
        if (id && entities_[*id].owner.empty()) entities_[*id].owner = c;
        break;
      }
      case ObjKind::kIndex:
        index_owner_.emplace(cr.obj.name, c);
        break;
      default:
        if (std::optional<size_t> table = Find(ObjKind::kRelation, cr.obj.table)) {
          if (entities_[*table].owner != c) {
            sub_owner_.emplace(std::make_tuple(*table, cr.obj.kind, cr.obj.name), c);
          }
        }
        break;
    }
  }
  for (const auto& [table, column] : f.added_columns) {
    std::optional<size_t> id = Find(ObjKind::kRelation, table);
    if (id && entities_[*id].owner != c) {
      sub_owner_[{*id, ObjKind::kColumn, column}] = c;
    }
  }
  for (const auto& [obj, to] : f.renames) {
    if (obj.kind == ObjKind::kIndex) {
      auto it = index_owner_.find(obj.name);
      if (it != index_owner_.end()) {
        std::string owner = it->second;
        index_owner_.erase(it);
        index_owner_[to] = owner;
      }
    } else if (!obj.table.empty()) {
      std::optional<size_t> table = Find(ObjKind::kRelation, obj.table);
      if (!table) continue;
      auto it = sub_owner_.find({*table, obj.kind, obj.name});
      if (it != sub_owner_.end()) {
        std::string owner = it->second;
        sub_owner_.erase(it);
        sub_owner_[{*table, obj.kind, to}] = owner;
      }
    }
  }
  for (const Obj& d : f.drops) {
    if (d.kind == ObjKind::kIndex) {
      index_owner_.erase(d.name);
    } else if (!d.table.empty()) {
      if (std::optional<size_t> table = Find(ObjKind::kRelation, d.table)) {
        sub_owner_.erase({*table, d.kind, d.name});
      }
    }
  }
  SimulateChanges(f);
}

FlatAssignment Assigner::State::AssignOne(size_t index, const AnalyzedFlat& flat) {
  FlatAssignment out;
  const FlatMigration& m = *flat.flat;
  for (const StatementFacts& f : flat.up) {
    Placed p;
    p.offset = f.offset;
    p.length = f.length;
    std::string at = At(flat, f);
    p.line = sql::PositionOf(m.up_sql, sql::SkipSpaceAndComments(m.up_sql, f.offset)).line;
    p.no_transaction = f.no_transaction;
    if (f.transaction_control) {
      p.left_out = true;
      out.up.push_back(p);
      continue;
    }
    if (f.session) {
      p.session = true;
      out.up.push_back(p);
      continue;
    }
    SimulateCreates(flat, f);
    Touch t = Collect(f, /*forward=*/true);
    bool noted = false;
    std::string c = Choose(f, t, at, main_[index], &noted);
    Seen(c);
    if (noted) {
      // Choose() said why.
    } else if (t.guessed) {
      report_->guesses.push_back({at, Describe(f), c, absl::StrJoin(t.guess_reasons, "; ")});
    } else if (!t.subject_owner.empty() && t.subject_owner != c) {
      report_->guesses.push_back(
          {at, Describe(f), c,
           absl::StrCat("changes ", f.subject->name, " of \"", t.subject_owner,
                        "\", moved to the dependent cluster \"", c,
                        "\": what it adds belongs to \"", c, "\"")});
    }
    for (size_t id : t.referenced) {
      if (entities_[id].owner != c) references_.push_back({index, at, c, id});
    }
    for (const ForeignKeyFact& fk : f.foreign_keys) {
      std::optional<size_t> from = Find(ObjKind::kRelation, fk.table);
      std::optional<size_t> to = Find(ObjKind::kRelation, fk.references);
      std::string from_owner = from ? entities_[*from].owner : c;
      if (from_owner.empty()) from_owner = c;
      // Keys to core need no feature but the referencing one: not listed.
      if (to && entities_[*to].owner != from_owner && entities_[*to].owner != kCore) {
        report_->cross_feature_foreign_keys.push_back(
            {fk.table, from_owner, fk.references, entities_[*to].owner, fk.name, at});
      }
    }
    RecordReshapes(index, at, c, f);
    Apply(f, c);
    p.cluster = c;
    if (std::find(out.parts.begin(), out.parts.end(), c) == out.parts.end()) {
      out.parts.push_back(c);
    }
    out.up.push_back(p);
  }
  AssignDown(flat, main_[index], &out);
  return out;
}

}  // namespace schemagate::generator::import
