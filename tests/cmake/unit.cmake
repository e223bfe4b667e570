# tests/CMakeLists.txt, part: unit tests of pure components (tests/unit/).
# Included (same scope and binary directory as tests/CMakeLists.txt).
# --- Unit tests ----------------------------------------------------------------
sg_test(sql_parser_test SOURCES unit/sql/parser_test.cc LIBS schemagate::sql)
sg_test(catalog_features_test SOURCES unit/catalog/features_test.cc LIBS schemagate::catalog)
sg_test(catalog_order_test SOURCES unit/catalog/order_test.cc LIBS schemagate::catalog)
sg_test(catalog_edit_distance_test SOURCES unit/catalog/edit_distance_test.cc LIBS schemagate::catalog)
# (with schemagate_common for the catalog's JSON output, `schemagate catalog`)
sg_test(catalog_test SOURCES unit/catalog/catalog_test.cc LIBS schemagate::catalog
        schemagate_common)
sg_test(catalog_query_test SOURCES unit/catalog/query_test.cc LIBS schemagate::catalog)
sg_test(catalog_diagram_test SOURCES unit/catalog/diagram_test.cc LIBS schemagate::catalog)
sg_test(generator_lint_test SOURCES unit/generator/lint_test.cc LIBS schemagate::generator)
sg_test(generator_test SOURCES unit/generator/generator_test.cc LIBS schemagate::generator)
sg_test(generator_import_test SOURCES unit/generator/import_test.cc LIBS schemagate::import)
sg_test(generator_lock_lint_test SOURCES unit/generator/lock_lint_test.cc LIBS schemagate::generator)
sg_test(sql_pg_names_test SOURCES unit/sql/pg_names_test.cc LIBS schemagate::sql)
sg_test(migrate_state_test SOURCES unit/migrate/state_test.cc LIBS schemagate::migrate)
sg_test(migrate_verify_test SOURCES unit/migrate/verify_test.cc LIBS schemagate::migrate)
sg_test(migrate_source_history_test SOURCES unit/migrate/source_history_test.cc
  LIBS schemagate::migrate)
sg_test(migrate_history_name_test SOURCES unit/migrate/history_name_test.cc
  LIBS schemagate::migrate)
sg_test(migrate_conninfo_test SOURCES unit/migrate/conninfo_test.cc LIBS schemagate::migrate)
sg_test(migrate_objects_test SOURCES unit/migrate/objects_test.cc LIBS schemagate::migrate)
sg_test(migrate_plan_locks_test SOURCES unit/migrate/plan_locks_test.cc
  LIBS schemagate::migrate)
sg_test(migrate_rollback_plan_test SOURCES unit/migrate/rollback_plan_test.cc
  LIBS schemagate::migrate)
sg_test(migrate_sqlstate_test SOURCES unit/migrate/sqlstate_test.cc LIBS schemagate::migrate)
sg_test(rpc_auth_test SOURCES unit/rpc/auth_test.cc LIBS schemagate::rpc)
sg_test(rpc_convert_test SOURCES unit/rpc/convert_test.cc LIBS schemagate::rpc)
sg_test(rpc_response_cache_test SOURCES unit/rpc/response_cache_test.cc LIBS schemagate::rpc)
sg_test(rpc_watch_count_test SOURCES unit/rpc/watch_count_test.cc LIBS schemagate::rpc)
sg_test(rpc_service_cache_test SOURCES unit/rpc/service_cache_test.cc
        LIBS schemagate::rpc schemagate::fleet schemagate::metrics)
sg_test(client_test SOURCES unit/client/client_test.cc LIBS schemagate::client)
# schemactl never sends the admin token in plaintext to another machine.
add_test(NAME schemactl_refuses_plaintext_token
  COMMAND schemactl repair --target 192.0.2.1:50052 --rpc-timeout=2s
          "--token-file=${SG_TESTDATA}/fake-admin-token")
set_tests_properties(schemactl_refuses_plaintext_token PROPERTIES
  PASS_REGULAR_EXPRESSION "INVALID_ARGUMENT: refusing to send the admin token in plaintext to 192.0.2.1:50052")
sg_test(fleet_unit_test SOURCES unit/fleet/fleet_test.cc LIBS schemagate::fleet)
sg_test(util_log_test SOURCES unit/util/log_test.cc LIBS schemagate::util nlohmann_json::nlohmann_json)
sg_test(util_cli_test SOURCES unit/util/cli_test.cc LIBS schemagate::util)
sg_test(metrics_test SOURCES unit/metrics/metrics_test.cc LIBS schemagate::metrics)
