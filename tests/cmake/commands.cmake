# tests/CMakeLists.txt, part: join/query subcommands and configure-time checks.
# Included (same scope and binary directory as tests/CMakeLists.txt).
# --- join / query subcommands ---------------------------------------------------
if(SG_BUNDLED_TREE)
  add_test(NAME cli_join_ambiguous COMMAND schemagate join tasks users)
  set_tests_properties(cli_join_ambiguous PROPERTIES WILL_FAIL TRUE)  # exit 8
  add_test(NAME cli_join_ambiguous_text COMMAND schemagate join tasks users)
  set_tests_properties(cli_join_ambiguous_text PROPERTIES PASS_REGULAR_EXPRESSION
    "ON tasks.assignee_id = users.id.*ON tasks.reporter_id = users.id.*verdict: ambiguous")
  add_test(NAME cli_join_chosen COMMAND schemagate join --pair tasks:users:tasks_assignee_id_fkey)
  add_test(NAME cli_join_disabled COMMAND schemagate_variant_minimal join tasks users --json)
  set_tests_properties(cli_join_disabled PROPERTIES PASS_REGULAR_EXPRESSION
    "\"state\": \"cluster_disabled\".*\"enable_features\": \\[[^]]*\"tasks\"")
  add_test(NAME cli_query_ok COMMAND schemagate query
    "SELECT * FROM tasks t JOIN projects p ON t.project_id = p.id")
  add_test(NAME cli_query_syntax COMMAND schemagate query "SELECT * FORM tasks")
  set_tests_properties(cli_query_syntax PROPERTIES PASS_REGULAR_EXPRESSION
    "1:10: syntax error at or near \"FORM\"")
endif()

# --- Configure-time feature checks (a fresh configure of this source tree) -----
add_test(NAME configure_unknown_feature
  COMMAND "${CMAKE_COMMAND}" -S "${PROJECT_SOURCE_DIR}" -B "${CMAKE_CURRENT_BINARY_DIR}/configure_unknown"
          -DSCHEMAGATE_FEATURES=tasks,taks -DSCHEMAGATE_BUILD_TESTS=OFF)
set_tests_properties(configure_unknown_feature PROPERTIES
  PASS_REGULAR_EXPRESSION "unknown feature 'taks' in SCHEMAGATE_FEATURES.*Valid features: core, .*tasks.*, all"
  TIMEOUT 300)
add_test(NAME configure_pulls_dependencies
  COMMAND "${CMAKE_COMMAND}" -S "${PROJECT_SOURCE_DIR}" -B "${CMAKE_CURRENT_BINARY_DIR}/configure_shop"
          "-DSCHEMAGATE_MIGRATIONS_DIR=${SG_TESTDATA}/trees/shop"
          -DSCHEMAGATE_FEATURES=orders,reviews -DSCHEMAGATE_BUILD_TESTS=OFF)
set_tests_properties(configure_pulls_dependencies PROPERTIES
  PASS_REGULAR_EXPRESSION "enabled clusters: core, catalog, orders, orders_reviews, reviews.*pulled in: catalog \\(dependency of orders\\).*pulled in: orders_reviews \\(bridge: orders \\+ reviews\\)"
  TIMEOUT 300)
