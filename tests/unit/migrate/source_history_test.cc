// The pure half of adopt's history check: formats, table names, what each
// tool's history counts as recorded (Diesel exact versions, golang-migrate's
// numeric current version, Flyway's version order, baselines, undo, failed
// rows) and which imported-from entries are not covered.
#include "server/migrate/source_history.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/util/errors.h"

namespace schemagate::migrate {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(SourceFormatTest, ParsesEachToolAndRefusesOthers) {
  struct Case {
    std::string text;
    bool ok;
    SourceFormat format;
  } cases[] = {
      {"diesel", true, SourceFormat::kDiesel},
      {"golang-migrate", true, SourceFormat::kGolangMigrate},
      {"flyway", true, SourceFormat::kFlyway},
      {"none", true, SourceFormat::kNone},
      {"sql", false, SourceFormat::kNone},
      {"Diesel", false, SourceFormat::kNone},
      {"", false, SourceFormat::kNone},
  };
  for (const Case& c : cases) {
    absl::StatusOr<SourceFormat> f = ParseSourceFormat(c.text);
    EXPECT_EQ(f.ok(), c.ok) << c.text;
    if (c.ok) {
      EXPECT_EQ(*f, c.format) << c.text;
      EXPECT_EQ(SourceFormatName(*f), c.text);
    } else {
      EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
      EXPECT_EQ(errors::KindOf(f.status()), errors::ErrorKind::kUsage) << c.text;
      EXPECT_THAT(std::string(f.status().message()), HasSubstr("--from")) << c.text;
    }
  }
}

TEST(SourceTableTest, ParsesSchemaAndTableAndKnowsEachToolsDefault) {
  struct Case {
    std::string text;
    bool ok;
    std::string display, catalog_name, qualified;
  } cases[] = {
      {"__diesel_schema_migrations", true, "public.__diesel_schema_migrations",
       "__diesel_schema_migrations", "\"public\".\"__diesel_schema_migrations\""},
      {"app.flyway_schema_history", true, "app.flyway_schema_history", "app.flyway_schema_history",
       "\"app\".\"flyway_schema_history\""},
      {"public.Schema_Migrations", true, "public.Schema_Migrations", "Schema_Migrations",
       "\"public\".\"Schema_Migrations\""},
      {"a.b.c", false, "", "", ""},
      {"", false, "", "", ""},
      {"1table", false, "", "", ""},
      {"x; DROP TABLE users", false, "", "", ""},
      {"s.", false, "", "", ""},
      {std::string(64, 'a'), false, "", "", ""},
  };
  for (const Case& c : cases) {
    absl::StatusOr<SourceTable> t = SourceTable::Parse(c.text);
    EXPECT_EQ(t.ok(), c.ok) << c.text;
    if (!c.ok) {
      EXPECT_EQ(errors::KindOf(t.status()), errors::ErrorKind::kUsage) << c.text;
      EXPECT_EQ(errors::ReasonOf(t.status()), "BAD_SOURCE_HISTORY_TABLE");
      continue;
    }
    EXPECT_EQ(t->Display(), c.display);
    EXPECT_EQ(t->CatalogName(), c.catalog_name);
    EXPECT_EQ(t->Qualified(), c.qualified);
  }
  EXPECT_EQ(SourceTable::Default(SourceFormat::kDiesel).Display(),
            "public.__diesel_schema_migrations");
  EXPECT_EQ(SourceTable::Default(SourceFormat::kGolangMigrate).Display(),
            "public.schema_migrations");
  EXPECT_EQ(SourceTable::Default(SourceFormat::kFlyway).Display(), "public.flyway_schema_history");
}

TEST(FlywayVersionTest, ComparesAsFlywayDoes) {
  struct Case {
    std::string a, b;
    int want;  // sign
  } cases[] = {
      {"1", "1", 0},
      {"1", "1.0", 0},
      {"1.0.0", "1", 0},
      {"1.01", "1.1", 0},
      {"001.2", "1.2", 0},
      {"1.1", "1.10", -1},
      {"1.9", "1.10", -1},
      {"2", "10", -1},
      {"1.2", "1.2.1", -1},
      {"2.0.1", "2", 1},
      {"20200101000000000001", "20200101000000000002", -1},
      {"99999999999999999999999", "100000000000000000000000", -1},
      {"1.a", "1.1", 1},
      {"1.a", "1.b", -1},
  };
  for (const Case& c : cases) {
    int got = CompareFlywayVersions(c.a, c.b);
    EXPECT_EQ((got > 0) - (got < 0), c.want) << c.a << " vs " << c.b;
    int back = CompareFlywayVersions(c.b, c.a);
    EXPECT_EQ((back > 0) - (back < 0), -c.want) << c.b << " vs " << c.a;
  }
}

SourceHistory Diesel(std::set<std::string> versions) {
  SourceHistory h;
  h.format = SourceFormat::kDiesel;
  h.table = SourceTable::Default(h.format);
  h.diesel_versions = std::move(versions);
  return h;
}

SourceHistory Golang(std::vector<GolangRow> rows) {
  SourceHistory h;
  h.format = SourceFormat::kGolangMigrate;
  h.table = SourceTable::Default(h.format);
  h.golang_rows = std::move(rows);
  return h;
}

SourceHistory Flyway(std::vector<FlywayRow> rows) {
  SourceHistory h;
  h.format = SourceFormat::kFlyway;
  h.table = SourceTable::Default(h.format);
  h.flyway_rows = std::move(rows);
  return h;
}

TEST(RecordedTest, DieselNeedsTheExactVersionString) {
  SourceHistory h = Diesel({"00000000000000", "20170923182408"});
  EXPECT_TRUE(Recorded(h, "20170923182408"));
  EXPECT_TRUE(Recorded(h, "00000000000000"));
  EXPECT_FALSE(Recorded(h, "2017-09-23-182408"));
  EXPECT_FALSE(Recorded(h, "20170923182409"));
  EXPECT_FALSE(Recorded(h, "0"));
  EXPECT_FALSE(Recorded(h, "20170923182408 "));
  EXPECT_TRUE(CheckSourceHistory(h).ok());
}

TEST(RecordedTest, GolangMigrateCountsEveryVersionUpToTheCurrentOne) {
  SourceHistory h = Golang({{20200105120000, false}});
  struct Case {
    std::string version;
    bool recorded;
  } cases[] = {
      {"1", true},
      {"20200105120000", true},
      {"020200105120000", true},  // a number, not a string
      {"20200105115959", true},
      {"20200105120001", false},
      {"99999999999999999999", false},  // beyond uint64
      {"-1", false},
      {"abc", false},
      {"", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Recorded(h, c.version), c.recorded) << c.version;
  }
  EXPECT_TRUE(CheckSourceHistory(h).ok());
  // Numeric, not textual: 10 > 9.
  EXPECT_TRUE(Recorded(Golang({{10, false}}), "9"));
  EXPECT_FALSE(Recorded(Golang({{9, false}}), "10"));
  // No row: nothing ran.
  EXPECT_FALSE(Recorded(Golang({}), "1"));
}

TEST(RecordedTest, DirtyGolangMigrateHistoryIsRefusedNamingTheVersion) {
  SourceHistory h = Golang({{7, true}});
  EXPECT_FALSE(Recorded(h, "1"));
  absl::Status s = CheckSourceHistory(h);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(errors::KindOf(s), errors::ErrorKind::kIntegrity);
  EXPECT_EQ(errors::ReasonOf(s), "SOURCE_HISTORY_DIRTY");
  EXPECT_THAT(std::string(s.message()),
              AllOf(HasSubstr("public.schema_migrations is dirty at version 7"),
                    HasSubstr("migrate force")));
  std::vector<errors::Violation> v = errors::ViolationsOf(s);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].subject, "golang-migrate 7");

  absl::Status two = CheckSourceHistory(Golang({{1, false}, {2, false}}));
  EXPECT_EQ(errors::KindOf(two), errors::ErrorKind::kIntegrity);
  EXPECT_EQ(errors::ReasonOf(two), "SOURCE_HISTORY_INVALID");
  EXPECT_THAT(std::string(two.message()), HasSubstr("holds 2 rows"));
}

FlywayRow Row(int64_t rank, std::string version, std::string type, bool success = true) {
  return {rank, std::move(version), "d" + std::to_string(rank), std::move(type), success};
}

TEST(RecordedTest, FlywayComparesVersionsAndSkipsNonMigrationRows) {
  SourceHistory h = Flyway({Row(0, "0", "SCHEMA"), Row(1, "1.0", "SQL"), Row(2, "1.1", "JDBC"),
                            Row(3, "", "SQL"), Row(4, "3", "SPRING_JDBC"), Row(5, "4", "MYSTERY")});
  struct Case {
    std::string version;
    bool recorded;
  } cases[] =
      {
          {"1", true},     {"1.0", true}, {"1.0.0", true}, {"1.1", true},
          {"1.10", false}, {"2", false},  {"3", true},     {"3.0.1", false},
          {"0", false},    {"4", false},  // an unknown type does not count
      };
  for (const Case& c : cases) {
    EXPECT_EQ(Recorded(h, c.version), c.recorded) << c.version;
  }
  EXPECT_TRUE(CheckSourceHistory(h).ok());
}

TEST(RecordedTest, FlywayBaselineCoversEveryOlderVersion) {
  SourceHistory h = Flyway({Row(1, "2.5", "BASELINE"), Row(2, "2.6", "SQL")});
  for (const std::string v : {"1", "2", "2.4.9", "2.5", "2.5.0", "2.6"}) {
    EXPECT_TRUE(Recorded(h, v)) << v;
  }
  for (const std::string v : {"2.5.1", "2.7", "3"}) {
    EXPECT_FALSE(Recorded(h, v)) << v;
  }
  // A baseline migration (Flyway Teams' B__ scripts) counts the same way.
  EXPECT_TRUE(Recorded(Flyway({Row(1, "5", "SQL_BASELINE")}), "4.2"));
  // A failed baseline covers nothing (and is refused).
  SourceHistory failed = Flyway({Row(1, "5", "BASELINE", false)});
  EXPECT_FALSE(Recorded(failed, "1"));
  EXPECT_EQ(errors::ReasonOf(CheckSourceHistory(failed)), "SOURCE_HISTORY_FAILED");
}

TEST(RecordedTest, FlywayUndoAndDeleteRowsUnrecordAVersion) {
  EXPECT_FALSE(Recorded(Flyway({Row(1, "1", "SQL"), Row(2, "1.0", "UNDO_SQL")}), "1"));
  EXPECT_FALSE(Recorded(Flyway({Row(1, "1", "SQL"), Row(2, "1", "DELETE")}), "1"));
  // Applied again after the undo.
  EXPECT_TRUE(
      Recorded(Flyway({Row(1, "1", "SQL"), Row(2, "1", "UNDO_SQL"), Row(3, "1", "SQL")}), "1"));
  // installed_rank decides the order, not the row order.
  EXPECT_TRUE(
      Recorded(Flyway({Row(3, "1", "SQL"), Row(2, "1", "UNDO_SQL"), Row(1, "1", "SQL")}), "1"));
}

TEST(RecordedTest, FlywayRepeatableMigrationsAreRecordedByTheirScript) {
  FlywayRow views = Row(5, "", "SQL");
  views.script = "reporting/R__reporting_views.sql";
  FlywayRow failed = Row(6, "", "SQL", /*success=*/false);
  failed.script = "R__other.sql";
  SourceHistory h = Flyway({Row(1, "1", "SQL"), views, failed});
  EXPECT_TRUE(Recorded(h, "R__reporting_views"));
  EXPECT_FALSE(Recorded(h, "R__other"));
  EXPECT_FALSE(Recorded(h, "R__missing"));
}

TEST(RecordedTest, FailedFlywayRowIsRefusedNamingIt) {
  SourceHistory h =
      Flyway({Row(1, "1", "SQL"), Row(2, "1.1", "SQL", false), Row(3, "", "SQL", false)});
  absl::Status s = CheckSourceHistory(h);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(errors::KindOf(s), errors::ErrorKind::kIntegrity);
  EXPECT_EQ(errors::ReasonOf(s), "SOURCE_HISTORY_FAILED");
  EXPECT_THAT(std::string(s.message()),
              AllOf(HasSubstr("version 1.1 (d2), installed_rank 2"), HasSubstr("repeatable \"d3\""),
                    HasSubstr("flyway repair")));
  std::vector<errors::Violation> v = errors::ViolationsOf(s);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].subject, "flyway 1.1");
  EXPECT_FALSE(Recorded(h, "1.1"));
}

TEST(UncoveredTest, ListsEveryMissingSourceOfTheFormatInOrder) {
  v1::Migration a, b, c;
  a.set_up_path("core/0001_init/up.sql");
  auto add = [](v1::Migration* m, const std::string& f, const std::string& v) {
    v1::ImportedFrom* i = m->add_imported_from();
    i->set_format(f);
    i->set_version(v);
  };
  add(&a, "diesel", "00000000000000");
  add(&a, "diesel", "20200101000000");
  b.set_up_path("tasks/0003_add_due/up.sql");
  add(&b, "diesel", "20200301000000");
  add(&b, "flyway", "1");                           // another format: not looked at here
  c.set_up_path("tasks/0004_hand_written/up.sql");  // no imported-from
  SourceHistory h = Diesel({"20200101000000"});
  std::vector<MissingSource> missing = Uncovered(h, {&a, &b, &c});
  ASSERT_EQ(missing.size(), 2u);
  EXPECT_EQ(missing[0].format, "diesel");
  EXPECT_EQ(missing[0].version, "00000000000000");
  EXPECT_EQ(missing[0].migration, "core/0001_init/up.sql");
  EXPECT_EQ(missing[1].version, "20200301000000");
  EXPECT_EQ(missing[1].migration, "tasks/0003_add_due/up.sql");
  EXPECT_THAT(
      Uncovered(Diesel({"00000000000000", "20200101000000", "20200301000000"}), {&a, &b, &c}),
      IsEmpty());
}

TEST(ViolationsTest, RoundTripThroughTheStatusPayload) {
  std::vector<errors::Violation> in = {{"DRIFT", "users.email", "column type: a\tb\nc"},
                                       {"SOURCE_HISTORY", "diesel 1", "not recorded \\ here"}};
  absl::Status s = errors::WithViolations(absl::FailedPreconditionError("x"), in);
  std::vector<errors::Violation> out = errors::ViolationsOf(s);
  ASSERT_EQ(out.size(), 2u);
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].type, in[i].type);
    EXPECT_EQ(out[i].subject, in[i].subject);
    EXPECT_EQ(out[i].description, in[i].description);
  }
  EXPECT_THAT(errors::ViolationsOf(absl::FailedPreconditionError("y")), IsEmpty());
  EXPECT_TRUE(errors::WithViolations(absl::OkStatus(), in).ok());
  EXPECT_EQ(errors::ReasonOf(errors::WithReason(absl::AbortedError("z"), "SCHEMA_DRIFT")),
            "SCHEMA_DRIFT");
  EXPECT_EQ(errors::ReasonOf(absl::AbortedError("z")), "");
}

}  // namespace
}  // namespace schemagate::migrate
