# tests/CMakeLists.txt, part: highly available PostgreSQL (tests/ha/, label ha).
# Included (same scope and binary directory as tests/CMakeLists.txt).
# --- Highly available PostgreSQL (label `ha`, docs/RELIABILITY.md) ---------------
# A Patroni cluster (primary + streaming replica, with its own etcd) from
# Debian's patroni and etcd-server, started by scripts/patroni.sh as the
# fixture `ha`; the tests switch it over and fail it over, so they run alone
# (RUN_SERIAL: their time bounds are about the database, not a busy CPU).
if(SCHEMAGATE_TEST_VARIANTS)
  # A long plan: 600 generated migrations in 12 clusters (a few of them
  # no-transaction), ~8 s to apply, so a switchover lands in the middle.
  set(SG_HA_TREE "${CMAKE_CURRENT_BINARY_DIR}/trees/ha_long")
  if(NOT EXISTS "${SG_HA_TREE}/core")
    execute_process(COMMAND "${SG_PYTHON3}" "${PROJECT_SOURCE_DIR}/scripts/bench/gen_tree.py"
                            600 12 "${SG_HA_TREE}" --seed 16
                    OUTPUT_QUIET COMMAND_ERROR_IS_FATAL ANY)
  endif()
  schemagate_add_variant(ha_long FEATURES all TREE "${SG_HA_TREE}")
  set(SG_HA_DIR "${CMAKE_CURRENT_BINARY_DIR}/patroni")
  add_test(NAME patroni_start COMMAND bash "${PROJECT_SOURCE_DIR}/scripts/patroni.sh"
           start "${SG_HA_DIR}")
  set_tests_properties(patroni_start PROPERTIES FIXTURES_SETUP ha TIMEOUT 240
                       LABELS ha RUN_SERIAL TRUE)
  add_test(NAME patroni_stop COMMAND bash "${PROJECT_SOURCE_DIR}/scripts/patroni.sh"
           stop "${SG_HA_DIR}")
  set_tests_properties(patroni_stop PROPERTIES FIXTURES_CLEANUP ha LABELS ha TIMEOUT 120)
  sg_test(ha_test SOURCES ha/ha_test.cc PG TIMEOUT 900
    LIBS schemagate_test_service_support schemagate::migrate nlohmann_json::nlohmann_json
    ENV "SCHEMAGATE_BIN_DIR=${CMAKE_BINARY_DIR}/bin"
        "SCHEMAGATE_VARIANTS_DIR=${CMAKE_BINARY_DIR}/variants"
        "SCHEMAGATE_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
        "SCHEMAGATE_HA_TREE_DIR=${SG_HA_TREE}"
        "SCHEMAGATE_ENGINE_TREE_DIR=${SG_TESTDATA}/trees/engine_v1"
        "SCHEMAGATE_TEST_PATRONI_DIR=${SG_HA_DIR}")
  set_tests_properties(ha_test PROPERTIES FIXTURES_REQUIRED "pg;ha" LABELS ha
                       RUN_SERIAL TRUE)
  add_dependencies(ha_test schemagate_variant_ha_long schemagate_variant_engine_v1)
endif()
