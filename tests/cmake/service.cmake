# tests/CMakeLists.txt, part: the gRPC service end to end (tests/e2e/).
# Included (same scope and binary directory as tests/CMakeLists.txt).
# --- The gRPC service end to end ------------------------------------------------
add_subdirectory(protos)

if(SG_BUNDLED_TREE AND SCHEMAGATE_TEST_VARIANTS)
  sg_test(service_test SOURCES e2e/service_test.cc PG TIMEOUT 900
    LIBS schemagate_test_service_support schemagate_test_protos nlohmann_json::nlohmann_json
         schemagate::migrate
    ENV "SCHEMAGATE_BIN_DIR=${CMAKE_BINARY_DIR}/bin"
        "SCHEMAGATE_VARIANTS_DIR=${CMAKE_BINARY_DIR}/variants"
        "SCHEMAGATE_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
  add_dependencies(service_test schemagate schemagate-server schemactl
                   schemagate_variant_engine_v1 schemagate_variant_engine_v2
                   schemagate_variant_engine_slow
                   schemagate_variant_engine_edited schemagate_variant_engine_broken
                   schemagate_variant_engine_fixed schemagate_variant_adopt_diesel)
endif()

# Fleets: 50 tenant databases with three feature sets, waves, shards, serve
# --targets with health per target (docs/FLEETS.md).
if(SG_BUNDLED_TREE AND SCHEMAGATE_TEST_VARIANTS)
  sg_test(fleet_test SOURCES e2e/fleet_test.cc PG TIMEOUT 900
    LIBS schemagate_test_service_support schemagate::migrate nlohmann_json::nlohmann_json
    ENV "SCHEMAGATE_BIN_DIR=${CMAKE_BINARY_DIR}/bin"
        "SCHEMAGATE_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
  add_dependencies(fleet_test schemagate schemagate-fleet schemagate-server schemactl)
endif()

if(SCHEMAGATE_TEST_VARIANTS)
  # Plan time: the locks of pending migrations with live table sizes, and
  # --max-blocking-rows (docs/LINT.md).
  sg_test(plan_locks_test SOURCES e2e/plan_locks_test.cc PG TIMEOUT 600
    LIBS schemagate_test_service_support nlohmann_json::nlohmann_json schemagate::migrate
    ENV "SCHEMAGATE_BIN_DIR=${CMAKE_BINARY_DIR}/bin"
        "SCHEMAGATE_VARIANTS_DIR=${CMAKE_BINARY_DIR}/variants"
        "SCHEMAGATE_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
  add_dependencies(plan_locks_test schemactl schemagate_variant_locks_v1
                   schemagate_variant_locks_v2)
endif()
