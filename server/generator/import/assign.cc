#include "server/generator/import/assign.h"

#include <algorithm>
#include <functional>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/catalog/features.h"
#include "server/sql/parser.h"

namespace schemagate::generator::import {
namespace {

const std::string kCore(catalog::kCoreCluster);

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

}  // namespace

class Assigner::State {
 public:
  State(const ImportMapIndex* map, Diagnostics* diagnostics, ImportReport* report)
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

  std::vector<FlatAssignment> Run(const std::vector<AnalyzedFlat>& history) {
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

  // Does `c` depend on `o` now, or through the dependencies that new
  // tables of the whole history need (later_)?
  bool LaterDepends(const std::string& c, const std::string& o) const {
    return o == kCore || c == o || Reaches(c, o, /*with_later=*/true);
  }

  // Is `to` reachable from `from` over edges_ (and later_ too)?
  bool Reaches(const std::string& from, const std::string& to, bool with_later) const {
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

  // Does `b` depend on `a` (core: everything does)?
  bool InClosure(const std::string& a, const std::string& b) const {
    return a == b || a == kCore || Reaches(b, a, /*with_later=*/false);
  }

  std::map<std::string, std::vector<std::string>> Dependencies() const {
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& [c, deps] : edges_) {
      for (const std::string& d : deps) {
        if (d != kCore) out[c].push_back(d);
      }
    }
    return out;
  }

  const std::map<std::string, std::vector<InferredDependency>>& Inferred() const {
    return inferred_;
  }

  std::map<std::string, std::vector<std::string>> Tables() const {
    std::map<std::string, std::vector<std::string>> out;
    for (size_t id : table_order_) {
      const Entity& e = entities_[id];
      if (alive_.count(id) && !e.owner.empty()) out[e.owner].push_back(e.names.back());
    }
    return out;
  }

 private:
  // --- names -----------------------------------------------------------------
  std::map<std::string, size_t>& Names(ObjKind kind) {
    return kind == ObjKind::kType ? types_ : kind == ObjKind::kFunction ? functions_ : relations_;
  }
  std::optional<size_t> Find(ObjKind kind, const std::string& name) {
    auto& names = Names(kind);
    auto it = names.find(name);
    if (it == names.end()) return std::nullopt;
    return it->second;
  }
  void ResetNames() {
    relations_.clear();
    types_.clear();
    functions_.clear();
    next_id_ = 0;
    alive_.clear();
  }

  // What a statement does to the names (both passes): what it creates,
  // then (SimulateChanges) what it renames and drops.
  void SimulateCreates(const AnalyzedFlat& flat, const StatementFacts& f) {
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

  void SimulateChanges(const StatementFacts& f) {
    for (const auto& [obj, to] : f.renames) {
      if (obj.kind != ObjKind::kRelation && obj.kind != ObjKind::kType &&
          obj.kind != ObjKind::kFunction) {
        continue;
      }
      std::optional<size_t> id = Find(obj.kind, obj.name);
      if (!id) continue;
      Names(obj.kind).erase(obj.name);
      Names(obj.kind)[to] = *id;
      if (pass_ == 1) entities_[*id].names.push_back(to);
    }
    for (const Obj& obj : f.drops) {
      if (obj.kind != ObjKind::kRelation && obj.kind != ObjKind::kType &&
          obj.kind != ObjKind::kFunction) {
        continue;
      }
      std::optional<size_t> id = Find(obj.kind, obj.name);
      if (!id) continue;
      Names(obj.kind).erase(obj.name);
      alive_.erase(*id);
    }
  }

  // How types and sequences are used (pass 1, before the statement's
  // changes are applied).
  void Lookahead(const StatementFacts& f) {
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

  // --- owners from the map ----------------------------------------------------
  std::string Fallback() const {
    return map_->default_cluster().empty() ? kCore : map_->default_cluster();
  }

  void Claim() {
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

  // --- pass 2 ----------------------------------------------------------------
  struct Touch {
    std::map<std::string, std::vector<std::string>> clusters;  // cluster -> why
    std::string fixed;  // the cluster a created table/type/... forces
    std::string subject_owner;
    bool guessed = false;
    std::vector<std::string> guess_reasons;
    std::vector<size_t> referenced;  // entity ids of other clusters' relations named
  };

  std::string At(const AnalyzedFlat& flat, const StatementFacts& f) const {
    size_t at = sql::SkipSpaceAndComments(flat.flat->up_sql, f.offset);
    return absl::StrCat(flat.flat->up_path, ":", sql::PositionOf(flat.flat->up_sql, at).line);
  }

  std::string OwnerOfObject(const Obj& o) {
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

  Touch Collect(const StatementFacts& f, bool forward) {
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

  // Can `c` depend on `o` (directly or by a new edge)? Sets *why otherwise.
  bool CanDepend(const std::string& c, const std::string& o, std::string* why) const {
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

  // The evidence of a dependency path from `from` to `to`.
  std::string PathEvidence(const std::string& from, const std::string& to) const {
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

  void AddEdge(const std::string& c, const std::string& o, const std::string& evidence) {
    if (InClosure(o, c)) return;
    edges_[c].insert(o);
    evidence_[{c, o}] = evidence;
    inferred_[c].push_back({o, evidence});
  }

  void AddError(const std::string& at, const std::string& message) {
    size_t colon = at.rfind(':');
    int line = 0;
    if (colon != std::string::npos && absl::SimpleAtoi(at.substr(colon + 1), &line)) {
      diagnostics_->Add(at.substr(0, colon), line, 0, message);
    } else {
      diagnostics_->Add(at, 0, 0, message);
    }
  }
  void AddWarning(const std::string& at, const std::string& message) {
    size_t colon = at.rfind(':');
    int line = 0;
    if (colon != std::string::npos && absl::SimpleAtoi(at.substr(colon + 1), &line)) {
      diagnostics_->Warn(at.substr(0, colon), line, 0, message);
    } else {
      diagnostics_->Warn(at, 0, 0, message);
    }
  }

  void Seen(const std::string& cluster) {
    if (!cluster.empty() && !first_seen_.count(cluster)) {
      first_seen_[cluster] = first_seen_.size();
    }
  }

  // The cluster for a statement; *noted when the choice was recorded as a
  // guess.
  std::string Choose(const StatementFacts& f, const Touch& t, const std::string& at,
                     const std::string& main, bool* noted) {
    const size_t guesses_before = report_->guesses.size();
    std::string chosen = ChooseCluster(f, t, at, main);
    *noted = report_->guesses.size() > guesses_before;
    return chosen;
  }

  std::string ChooseCluster(const StatementFacts& f, const Touch& t, const std::string& at,
                            const std::string& main) {
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
        report_->guesses.push_back(
            {at, Describe(f), chosen,
             absl::StrCat("a data statement on ", absl::StrJoin(touched, ", "),
                          " in a migration that mostly creates tables of \"", main,
                          "\": it goes with them")});
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
                evidence.push_back(absl::StrCat("\"", chosen, "\" creates a table naming \"", o,
                                                "\" at ", *where));
              } else {
                evidence.push_back(absl::StrCat("\"", chosen, "\" depends on \"", o,
                                                "\" through later migrations"));
              }
            }
            report_->guesses.push_back(
                {at, Describe(f), chosen,
                 absl::StrCat(
                     "links ", absl::StrJoin(touched, " and "),
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

  // Records what a statement assigned to `c` creates, adds, renames, drops.
  void Apply(const StatementFacts& f, const std::string& c) {
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

  FlatAssignment AssignOne(size_t index, const AnalyzedFlat& flat) {
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

  std::string Describe(const StatementFacts& f) const {
    for (const StatementFacts::Created& c : f.creates) {
      if (c.obj.kind == ObjKind::kRelation || c.obj.kind == ObjKind::kType ||
          c.obj.kind == ObjKind::kFunction) {
        return absl::StrCat(f.what, " ", c.obj.name);
      }
    }
    if (f.subject) return absl::StrCat(f.what, " ", f.subject->name);
    if (!f.creates.empty()) return absl::StrCat(f.what, " ", f.creates.front().obj.name);
    return f.what;
  }

  void AssignDown(const AnalyzedFlat& flat, const std::string& main, FlatAssignment* out) {
    const FlatMigration& m = *flat.flat;
    auto all = [&](const std::string& reason) {
      for (const std::string& c : out->parts) {
        if (out->irreversible[c].empty()) out->irreversible[c] = reason;
      }
    };
    if (out->parts.empty()) return;
    if (!m.has_down) {
      all(absl::StrCat("the ", FormatLabel(), " migration ", m.up_path, " had no down file"));
      return;
    }
    if (!flat.down.ok()) {
      all(absl::StrCat("its down file ", m.down_path,
                       " does not parse: ", flat.down.status().message()));
      return;
    }
    bool any = false;
    for (const StatementFacts& f : *flat.down) {
      Placed p;
      p.offset = f.offset;
      p.length = f.length;
      p.line = sql::PositionOf(m.down_sql, sql::SkipSpaceAndComments(m.down_sql, f.offset)).line;
      p.no_transaction = f.no_transaction;
      if (f.transaction_control) {
        p.left_out = true;
        out->down.push_back(p);
        continue;
      }
      if (f.session) {
        p.session = true;
        out->down.push_back(p);
        continue;
      }
      any = true;
      Touch t = Collect(f, /*forward=*/false);
      std::string at = absl::StrCat(m.down_path, ":", p.line);
      std::string c;
      for (const auto& [cand, why] : t.clusters) {
        bool all_in = true;
        for (const auto& [o, w] : t.clusters) all_in = all_in && InClosure(o, cand);
        if (all_in) c = cand;
      }
      // Data statements follow the migration's main cluster, as in up.
      if (f.data && std::find(out->parts.begin(), out->parts.end(), main) != out->parts.end()) {
        bool all_in = true;
        for (const auto& [o, w] : t.clusters) all_in = all_in && InClosure(o, main);
        if (all_in) c = main;
      }
      if (t.clusters.empty()) {
        c = std::find(out->parts.begin(), out->parts.end(), Fallback()) != out->parts.end()
                ? Fallback()
                : out->parts.front();
      }
      if (c.empty() || std::find(out->parts.begin(), out->parts.end(), c) == out->parts.end()) {
        std::vector<std::string> touched;
        for (const auto& [cl, why] : t.clusters) touched.push_back(cl);
        all(absl::StrCat("its down file's statement at ", at, " (", f.what, ") touches ",
                         absl::StrJoin(touched, ", "),
                         ", which no single part of this migration may undo"));
        continue;
      }
      p.cluster = c;
      out->down.push_back(p);
    }
    if (!any) {
      all(absl::StrCat("its down file ", m.down_path, " has no statement"));
    }
  }

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
                      const StatementFacts& f) {
    auto record = [&](const std::string& table, std::string what) {
      if (std::optional<size_t> id = Find(ObjKind::kRelation, table)) {
        reshapes_[*id].push_back({index, at, c, std::move(what)});
      }
    };
    for (const auto& [obj, to] : f.renames) {
      if (obj.kind == ObjKind::kRelation) record(obj.name, "renames it to " + to);
      if (obj.kind == ObjKind::kColumn)
        record(obj.table, absl::StrCat("renames its column ", obj.name, " to ", to));
    }
    for (const Obj& d : f.drops) {
      if (d.kind == ObjKind::kColumn) record(d.table, "drops its column " + d.name);
    }
    for (const auto& [table, column] : f.retyped_columns) {
      record(table, "changes the type of its column " + column);
    }
  }

  void ReportHazards() {
    for (const Reference& r : references_) {
      auto it = reshapes_.find(r.entity);
      if (it == reshapes_.end()) continue;
      const Entity& e = entities_[r.entity];
      for (const Reshape& s : it->second) {
        if (s.flat <= r.flat || s.cluster == r.cluster || !InClosure(s.cluster, r.cluster))
          continue;
        AddWarning(r.at,
                   absl::StrCat("this statement of \"", r.cluster, "\" names ", KindWord(e), " ",
                                e.names.back(), ", which ", s.at, " (\"", s.cluster, "\") ", s.what,
                                " later in the flat history; in the tree every \"", s.cluster,
                                "\" migration runs before \"", r.cluster,
                                "\"'s, so check this statement against the later shape"));
        break;
      }
    }
  }

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
