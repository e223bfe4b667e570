// The import's cluster assignment, besides the up files: the down file's
// cluster, tables reshaped by clusters other than their owner, and the
// hazards of the assignment reported (references that cross clusters without
// a dependency, ...), as members of Assigner::State (assign_state.h).
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

std::string Assigner::State::Describe(const StatementFacts& f) const {
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

void Assigner::State::AssignDown(const AnalyzedFlat& flat, const std::string& main,
                                 FlatAssignment* out) {
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

void Assigner::State::RecordReshapes(size_t index, const std::string& at, const std::string& c,
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

void Assigner::State::ReportHazards() {
  for (const Reference& r : references_) {
    auto it = reshapes_.find(r.entity);
    if (it == reshapes_.end()) continue;
    const Entity& e = entities_[r.entity];
    for (const Reshape& s : it->second) {
      if (s.flat <= r.flat || s.cluster == r.cluster || !InClosure(s.cluster, r.cluster)) continue;
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

}  // namespace schemagate::generator::import
