// No-transaction migrations and their recovery: running one statement by
// statement outside a transaction, marked "in progress" with a journal of
// what each statement is about to create or drop (RunNoTransaction);
// undoing exactly that with its down.sql when it fails (Undo); and, on the
// next run after a crash, undoing an interrupted one or finishing an
// interrupted rollback of one (RecoverInterrupted).
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/migrate/engine.h"
#include "server/migrate/internal/engine_common.h"
#include "server/migrate/objects.h"
#include "server/sql/parser.h"

namespace schemagate::migrate {

absl::Status Engine::RecoverInterrupted(History& history, const Progress& progress) {
  absl::StatusOr<std::vector<InProgress>> rows = history.ReadInProgress();
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::OkStatus();
  absl::StatusOr<std::vector<AppliedMigration>> applied = history.ReadApplied();
  if (!applied.ok()) return applied.status();
  for (const InProgress& p : *rows) {
    bool recorded = std::any_of(applied->begin(), applied->end(), [&](const AppliedMigration& a) {
      return a.cluster == p.cluster && a.version == p.version;
    });
    if (p.action == "rollback") {
      if (recorded) {
        // Killed between its down.sql and the deletion of its history row:
        // finish the rollback (down.sql again, each statement on its own:
        // some already ran), then record it.
        std::string report;
        absl::Status s = Undo(p.down_sql, std::nullopt, &report);
        if (!s.ok()) return s;
        if (s = BeginUnderLock(); !s.ok()) return s;
        s = history.ClearInProgress(p.cluster, p.version);
        if (s.ok()) {
          s = RecordRolledBack(history, p.cluster, p.version, "cleanup",
                               "interrupted rollback of a no-transaction migration "
                               "finished: its down.sql was run again and the migration "
                               "recorded as rolled back");
        }
        if (s.ok()) s = conn_->Commit();
        if (!s.ok()) {
          (void)conn_->Rollback();
          return s;
        }
        Emit(progress, {Event::kCleanedUp, p.cluster, p.version, p.name, absl::ZeroDuration(),
                        "an interrupted rollback of a no-transaction migration was "
                        "finished; the migration is not applied"});
        continue;
      }
    } else if (!recorded) {
      // Undo what the interrupted run did, as far as its journal says.
      std::string report;
      absl::Status s = Undo(p.down_sql, p.journal, &report);
      if (!s.ok()) return s;
      (void)history.Log("cleanup", p.cluster, p.version,
                        absl::StrCat("interrupted no-transaction migration undone: ", report),
                        options_.applied_by);
      Emit(progress, {Event::kCleanedUp, p.cluster, p.version, p.name, absl::ZeroDuration(),
                      absl::StrCat("an interrupted no-transaction migration was "
                                   "undone (",
                                   report, "); it will be applied again")});
    }
    absl::Status s = history.ClearInProgress(p.cluster, p.version);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status Engine::Undo(const std::string& down_sql,
                          const std::optional<std::vector<std::string>>& journal,
                          std::string* report) {
  absl::StatusOr<std::vector<sql::StatementRange>> ranges = sql::Split(down_sql);
  if (!ranges.ok()) {
    *report = "its down.sql does not parse; nothing was undone";
    return absl::OkStatus();
  }
  std::vector<RelationName> created, dropped;
  if (journal.has_value()) {
    for (const std::string& e : *journal) {
      if (e.empty()) continue;
      (e[0] == '+' ? created : dropped).push_back(RelationName::Decode(e.substr(1)));
    }
  }
  auto in = [](const RelationName& r, const std::vector<RelationName>& set) {
    return std::any_of(set.begin(), set.end(), [&](const RelationName& x) { return x.Matches(r); });
  };
  int ran = 0, skipped = 0, failed = 0;
  for (const sql::StatementRange& r : *ranges) {
    absl::string_view statement = absl::string_view(down_sql).substr(r.offset, r.length);
    bool run = !journal.has_value();  // a journal-less mark: the whole down.sql
    if (journal.has_value()) {
      StatementObjects o = ObjectsOf(statement);
      if (!o.other && o.creates.empty() && !o.drops.empty()) {
        // A DROP runs when this run created everything it drops.
        run = std::all_of(o.drops.begin(), o.drops.end(),
                          [&](const RelationName& d) { return in(d, created); });
      } else if (!o.other && o.drops.empty() && !o.creates.empty()) {
        // A CREATE runs when this run dropped it and it is still gone.
        run = std::all_of(o.creates.begin(), o.creates.end(), [&](const RelationName& c) {
          if (!in(c, dropped)) return false;
          absl::StatusOr<bool> exists = RelationExists(c);
          return exists.ok() && !*exists;
        });
      }
    }
    if (!run) {
      ++skipped;
      continue;
    }
    absl::Status s = conn_->Execute(statement);
    if (s.code() == absl::StatusCode::kUnavailable) return s;
    ++ran;
    if (!s.ok()) ++failed;
  }
  *report = absl::StrCat("down.sql: ", ran, " statement(s) run", failed ? " (" : "",
                         failed ? absl::StrCat(failed, " failed)") : "", ", ", skipped,
                         " skipped as undoing nothing this run did");
  return absl::OkStatus();
}

absl::StatusOr<bool> Engine::RelationExists(const RelationName& r) {
  // An unqualified index lives in its table's schema; anything else
  // unqualified in the first schema of the search_path.
  absl::StatusOr<Rows> rows = conn_->Query(
      "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
      "ON n.oid = c.relnamespace WHERE c.relname = $2 AND n.nspname = COALESCE(NULLIF($1, ''), "
      "(SELECT n2.nspname FROM pg_catalog.pg_class c2 JOIN pg_catalog.pg_namespace n2 ON "
      "n2.oid = c2.relnamespace WHERE c2.oid = pg_catalog.to_regclass(NULLIF($3, ''))), "
      "pg_catalog.current_schema()))",
      {r.schema, r.name, r.table});
  if (!rows.ok()) return rows.status();
  return rows->Text(0, 0) == "t";
}

absl::Status Engine::RunNoTransaction(History& history, const v1::Migration& m) {
  if (absl::Status s = CheckLockOwner(); !s.ok()) return s;
  const std::string what = internal::MigrationWhat(m);
  // What each statement creates and drops, by name.
  std::vector<StatementObjects> objects;
  if (absl::StatusOr<std::vector<sql::StatementRange>> ranges = sql::Split(m.up_sql());
      ranges.ok()) {
    for (const sql::StatementRange& r : *ranges) {
      objects.push_back(ObjectsOf(absl::string_view(m.up_sql()).substr(r.offset, r.length)));
    }
  }
  // Refused before anything runs: an object it creates that exists already
  // (and that no earlier statement of it drops) is not this migration's,
  // e.g. an index made by hand with the same name. Running on would fail on
  // it, and undoing the run would drop it.
  std::vector<RelationName> dropped_before;
  for (size_t i = 0; i < objects.size(); ++i) {
    for (const RelationName& c : objects[i].creates) {
      bool recreated = std::any_of(dropped_before.begin(), dropped_before.end(),
                                   [&](const RelationName& d) { return d.Matches(c); });
      if (recreated) continue;
      absl::StatusOr<bool> exists = RelationExists(c);
      if (!exists.ok()) return exists.status();
      if (*exists) {
        return errors::WithKind(
            absl::FailedPreconditionError(absl::StrCat(
                "refusing to run ", m.up_path(), " (no-transaction): it creates ", c.Display(),
                ", which already exists and was not made by this migration "
                "(made by hand, or by another tool?); rename or drop it, then rerun. "
                "Nothing was run")),
            errors::ErrorKind::kMigrationFailed);
      }
    }
    dropped_before.insert(dropped_before.end(), objects[i].drops.begin(), objects[i].drops.end());
  }
  InProgress mark{m.cluster(), m.version(), m.name(), m.down_sql()};
  if (absl::Status s = history.MarkInProgress(mark); !s.ok()) return s;
  (void)SetLockTimeout(LockTimeoutScope::kSession);
  // Write-ahead journal: before each statement, what it is about to create
  // or drop (a crash in between leaves at most an entry too many, which
  // undoing tolerates).
  std::vector<std::string> journal;
  absl::Status run = RunStatements(
      m.up_sql(), m.up_path(), what, [&](size_t index, absl::string_view) -> absl::Status {
        if (index >= objects.size()) return absl::OkStatus();
        std::vector<std::string> entries;
        for (const RelationName& c : objects[index].creates) entries.push_back("+" + c.Encode());
        for (const RelationName& d : objects[index].drops) entries.push_back("-" + d.Encode());
        if (entries.empty()) return absl::OkStatus();
        journal.insert(journal.end(), entries.begin(), entries.end());
        return history.AppendJournal(m.cluster(), m.version(), entries);
      });
  (void)conn_->Execute("RESET lock_timeout");
  if (!run.ok()) {
    if (run.code() == absl::StatusCode::kUnavailable) return run;
    // Undo what the statements that ran did (and no more).
    std::string report;
    absl::Status undone = Undo(m.down_sql(), journal, &report);
    if (undone.code() == absl::StatusCode::kUnavailable) return undone;
    (void)history.ClearInProgress(m.cluster(), m.version());
    absl::Status out(run.code(),
                     absl::StrCat(run.message(),
                                  "; it ran outside a transaction, so what its statements "
                                  "had done was undone with its down.sql (",
                                  report, ")"));
    // Keep the SQLSTATE (and any other payload): a lock timeout is retried.
    run.ForEachPayload(
        [&out](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
    return out;
  }
  return absl::OkStatus();
}

}  // namespace schemagate::migrate
