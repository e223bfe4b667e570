# tests/CMakeLists.txt, part: import of flat histories (tests/import/) and the generator's command line.
# Included (same scope and binary directory as tests/CMakeLists.txt).
# --- Import of other tools' flat histories (tests/import/) -----------------------
if(SCHEMAGATE_TEST_VARIANTS AND SG_BUNDLED_TREE)
  add_subdirectory(import)
endif()

# --- The generator's command line on broken trees ------------------------------
function(sg_gen_fails name tree regex)
  add_test(NAME ${name} COMMAND schemagate-gen --check --features=all
           "--tree=${SG_TESTDATA}/trees/${tree}")
  set_tests_properties(${name} PROPERTIES WILL_FAIL FALSE
    PASS_REGULAR_EXPRESSION "${regex}")
endfunction()
sg_gen_fails(gen_cli_gating broken_gating
  "broken_gating/core/0001_init/up.sql:3:56: error: gating rule: cluster \"core\" may not reference by foreign key table \"tasks\"")
sg_gen_fails(gen_cli_bad_sql broken_sql
  "broken_sql/core/0001_init/up.sql:4:18: error: SQL does not parse: syntax error at or near \"NUL\"")
sg_gen_fails(gen_cli_missing_down broken_down
  "broken_down/core/0001_init/down.sql: error: missing down.sql")
add_test(NAME gen_cli_exit_code COMMAND schemagate-gen --check "--tree=${SG_TESTDATA}/trees/broken_sql")
set_tests_properties(gen_cli_exit_code PROPERTIES WILL_FAIL TRUE)
add_test(NAME gen_cli_valid_tree COMMAND schemagate-gen --check --features=all
         "--tree=${SG_TESTDATA}/trees/shop")
# The lock lint (docs/LINT.md): the bundled tree builds with -DSCHEMAGATE_LINT=error
# (what it finds is acknowledged with reasons), the dangerous tree fails.
add_test(NAME gen_cli_bundled_lint_error COMMAND schemagate-gen --check --features=all
         --lint=error "--tree=${PROJECT_SOURCE_DIR}/migrations")
sg_gen_fails(gen_cli_lint_dangerous dangerous
  "dangerous/core/0002_risky/up.sql:2:1: warning: \\[index-not-concurrent\\] CREATE INDEX accounts_name_idx takes a SHARE lock on \"accounts\".*dangerous/core/0004_cleanup/up.sql:3:1: error: \\[concurrently-in-transaction\\] VACUUM FULL cannot run inside a transaction block")
