# tests/CMakeLists.txt, part: faults, hostile input, security (tests/fault/, tests/security/).
# Included (same scope and binary directory as tests/CMakeLists.txt).
# --- Faults, hostile input, security (docs/RELIABILITY.md) ---------------------
# The main build's binaries, whatever tree it was built with.
set(SG_PROCESS_ENV "SCHEMAGATE_BIN_DIR=${CMAKE_BINARY_DIR}/bin"
    "SCHEMAGATE_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
    "SCHEMAGATE_TREE_DIR=${SCHEMAGATE_MIGRATIONS_DIR}")
# The engine in process: one script per migration, errors' file:line.
sg_test(engine_script_test SOURCES integration/engine_script_test.cc PG TIMEOUT 300
  LIBS schemagate::migrate)
# The history tables in process: every row kind written and read back.
sg_test(history_test SOURCES integration/history_test.cc PG TIMEOUT 300
  LIBS schemagate::migrate)
sg_test(fault_test SOURCES fault/fault_test.cc PG TIMEOUT 900
  LIBS schemagate_test_service_support ENV ${SG_PROCESS_ENV})
add_dependencies(fault_test schemagate schemagate-server)
if(SG_BUNDLED_TREE)  # names the bundled tree's tables
  sg_test(hostile_test SOURCES security/hostile_test.cc PG TIMEOUT 600
    LIBS schemagate_test_service_support schemagate_pqxx ENV ${SG_PROCESS_ENV})
  add_dependencies(hostile_test schemagate schemagate-server)
endif()

if(SCHEMAGATE_TEST_VARIANTS)
  sg_test(security_test SOURCES security/security_test.cc PG TIMEOUT 600
    LIBS schemagate_test_service_support
    ENV ${SG_PROCESS_ENV} "SCHEMAGATE_VARIANTS_DIR=${CMAKE_BINARY_DIR}/variants")
  add_dependencies(security_test schemagate schemagate-server schemactl
                   schemagate_variant_engine_v1)
endif()

# Cancelled applies, the migration lock, --migrate-on-start (engine trees).
if(SCHEMAGATE_TEST_VARIANTS)
  sg_test(cancel_test SOURCES fault/cancel_test.cc PG TIMEOUT 600
    LIBS schemagate_test_service_support schemagate::migrate
    ENV ${SG_PROCESS_ENV} "SCHEMAGATE_VARIANTS_DIR=${CMAKE_BINARY_DIR}/variants")
  add_dependencies(cancel_test schemagate_variant_engine_v1 schemagate_variant_engine_fixed
                   schemagate_variant_engine_slow)
endif()

# A lost connection and a read-only primary mid-run, without Patroni
# (the engine's reconnection; tests/ha runs it through real failovers).
if(SCHEMAGATE_TEST_VARIANTS)
  sg_test(reconnect_test SOURCES fault/reconnect_test.cc PG TIMEOUT 300
    LIBS schemagate_test_service_support
    ENV ${SG_PROCESS_ENV} "SCHEMAGATE_VARIANTS_DIR=${CMAKE_BINARY_DIR}/variants")
  add_dependencies(reconnect_test schemagate_variant_engine_slow)
endif()

# PgBouncer (transaction pooling) in front of the fixture PostgreSQL.
if(SCHEMAGATE_TEST_VARIANTS)
  set(SG_BOUNCER_DIR "${CMAKE_CURRENT_BINARY_DIR}/pgbouncer")
  add_test(NAME pgbouncer_start COMMAND bash "${PROJECT_SOURCE_DIR}/scripts/pgbouncer.sh"
           start "${SG_BOUNCER_DIR}" "${SG_PG_DIR}")
  set_tests_properties(pgbouncer_start PROPERTIES FIXTURES_SETUP pgbouncer
                       FIXTURES_REQUIRED pg TIMEOUT 60)
  add_test(NAME pgbouncer_stop COMMAND bash "${PROJECT_SOURCE_DIR}/scripts/pgbouncer.sh"
           stop "${SG_BOUNCER_DIR}")
  set_tests_properties(pgbouncer_stop PROPERTIES FIXTURES_CLEANUP pgbouncer)
  sg_test(pgbouncer_test SOURCES fault/pgbouncer_test.cc PG TIMEOUT 600
    LIBS schemagate_test_service_support
    ENV ${SG_PROCESS_ENV} "SCHEMAGATE_VARIANTS_DIR=${CMAKE_BINARY_DIR}/variants"
        "SCHEMAGATE_TEST_PGBOUNCER_URL_FILE=${SG_BOUNCER_DIR}/url")
  set_tests_properties(pgbouncer_test PROPERTIES FIXTURES_REQUIRED "pg;pgbouncer")
  add_dependencies(pgbouncer_test schemagate_variant_shop_minimal
                   schemagate_variant_shop_orders schemagate_variant_engine_v1)
endif()
