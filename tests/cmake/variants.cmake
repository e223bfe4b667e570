# tests/CMakeLists.txt, part: feature-set and test-tree variants; integration tests on a real PostgreSQL (tests/integration/).
# Included (same scope and binary directory as tests/CMakeLists.txt).
# --- Feature-set variants: the same binary linked with other catalogs ---------
if(SCHEMAGATE_TEST_VARIANTS)
  schemagate_add_variant(minimal FEATURES core)
  schemagate_add_variant(full FEATURES all)
  schemagate_add_variant(shop_minimal FEATURES core TREE "${SG_TESTDATA}/trees/shop")
  schemagate_add_variant(shop_orders FEATURES orders TREE "${SG_TESTDATA}/trees/shop")
  schemagate_add_variant(shop_full FEATURES all TREE "${SG_TESTDATA}/trees/shop")
  set(variant_bins minimal full shop_minimal shop_orders shop_full)
  # Engine test trees (tests/testdata/trees/engine_*).
  set(engine_bins "")
  foreach(t v2 notx notx_broken)
    schemagate_add_variant(engine_${t} FEATURES all TREE "${SG_TESTDATA}/trees/engine_${t}")
    list(APPEND engine_bins engine_${t})
  endforeach()
  # engine_v1 checked out as on Windows (CRLF endings, a BOM on each .sql).
  set(SG_CRLF_TREE "${CMAKE_CURRENT_BINARY_DIR}/trees/engine_crlf")
  execute_process(COMMAND "${SG_PYTHON3}" "${CMAKE_CURRENT_SOURCE_DIR}/support/crlf_tree.py"
                          "${SG_TESTDATA}/trees/engine_v1" "${SG_CRLF_TREE}"
                  COMMAND_ERROR_IS_FATAL ANY)
  schemagate_add_variant(engine_crlf FEATURES all TREE "${SG_CRLF_TREE}")
  list(APPEND engine_bins engine_crlf)
  # These also get a schemagate-server (service tests).
  foreach(t v1 edited slow broken fixed)
    schemagate_add_variant(engine_${t} FEATURES all TREE "${SG_TESTDATA}/trees/engine_${t}"
                           SERVER)
    list(APPEND engine_bins engine_${t})
  endforeach()
  # Plan-time lock trees (tests/testdata/trees/locks_*).
  foreach(t v1 v2)
    schemagate_add_variant(locks_${t} FEATURES all TREE "${SG_TESTDATA}/trees/locks_${t}"
                           SERVER)
  endforeach()
  # Adopt test trees (tests/testdata/trees/adopt_*: imported-from directives).
  set(adopt_bins "")
  foreach(t diesel_v2 golang flyway)
    schemagate_add_variant(adopt_${t} FEATURES all TREE "${SG_TESTDATA}/trees/adopt_${t}")
    list(APPEND adopt_bins adopt_${t})
  endforeach()
  schemagate_add_variant(adopt_diesel FEATURES all TREE "${SG_TESTDATA}/trees/adopt_diesel"
                         SERVER)
  list(APPEND adopt_bins adopt_diesel)
  # A minimal deployment of the same tree: tasks and mail are not compiled in.
  schemagate_add_variant(adopt_diesel_core FEATURES core TREE "${SG_TESTDATA}/trees/adopt_diesel")
  list(APPEND adopt_bins adopt_diesel_core)
  set(bundled "${PROJECT_SOURCE_DIR}/migrations")
  get_filename_component(tree_real "${SCHEMAGATE_MIGRATIONS_DIR}" REALPATH)
  get_filename_component(bundled_real "${bundled}" REALPATH)
  set(SG_BUNDLED_TREE OFF)
  if(tree_real STREQUAL bundled_real)
    set(SG_BUNDLED_TREE ON)
    schemagate_add_variant(tasks FEATURES tasks)
    schemagate_add_variant(mail FEATURES mail)
    schemagate_add_variant(mail_people FEATURES mail,people)
    schemagate_add_variant(tickets FEATURES tickets)
    schemagate_add_variant(tasks_calendar FEATURES tasks,calendar)
    list(APPEND variant_bins tasks mail mail_people tickets tasks_calendar)
  endif()
  # A tree only a database can model (DO blocks, CREATE TABLE AS): built with
  # the dev database (SCHEMAGATE_DEV_DATABASE, auto by default).
  schemagate_add_variant(dynamic FEATURES all TREE "${SG_TESTDATA}/trees/dynamic")
  list(APPEND variant_bins dynamic)
  set(vdir "${CMAKE_BINARY_DIR}/variants")

  # Each build's SQL creates exactly its catalog (and down.sql removes it).
  add_executable(catalog_matches_database_test integration/catalog_matches_database_test.cc)
  target_link_libraries(catalog_matches_database_test PRIVATE schemagate_test_support
    nlohmann_json::nlohmann_json GTest::gtest_main)
  set_target_properties(catalog_matches_database_test PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests/bin")
  foreach(v IN LISTS variant_bins)
    add_dependencies(catalog_matches_database_test schemagate_variant_${v})
    add_test(NAME catalog_matches_database_${v} COMMAND catalog_matches_database_test)
    set_tests_properties(catalog_matches_database_${v} PROPERTIES
      FIXTURES_REQUIRED pg
      ENVIRONMENT "${SG_PG_ENV};SCHEMAGATE_BIN=${vdir}/${v}/schemagate")
  endforeach()

  # Binaries of smaller builds hold none of the other clusters' SQL or tables.
  add_executable(binary_gating_test integration/binary_gating_test.cc)
  target_link_libraries(binary_gating_test PRIVATE schemagate_test_support
    nlohmann_json::nlohmann_json GTest::gtest_main)
  set_target_properties(binary_gating_test PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests/bin")
  set(pairs "minimal:full" "shop_minimal:shop_full" "shop_orders:shop_full")
  if(SG_BUNDLED_TREE)
    list(APPEND pairs "tasks:full" "mail:full" "mail_people:full" "tasks_calendar:full")
  endif()
  # Only for stripped (Release) binaries, which are what ships: debug
  # information names the source's own identifiers (a variable `items`
  # would count as the table items).
  if(NOT CMAKE_BUILD_TYPE STREQUAL "Release")
    set(pairs "")
  endif()
  foreach(pair IN LISTS pairs)
    string(REPLACE ":" ";" p "${pair}")
    list(GET p 0 small)
    list(GET p 1 big)
    add_test(NAME binary_gating_${small} COMMAND binary_gating_test)
    set_tests_properties(binary_gating_${small} PROPERTIES ENVIRONMENT
      "SCHEMAGATE_SMALL_BIN=${vdir}/${small}/schemagate;SCHEMAGATE_FULL_BIN=${vdir}/${big}/schemagate")
  endforeach()

  set(variant_env "")
  foreach(v IN LISTS variant_bins engine_bins adopt_bins)
    string(TOUPPER "${v}" V)
    list(APPEND variant_env "SCHEMAGATE_VARIANT_${V}_BIN=${vdir}/${v}/schemagate")
  endforeach()
  # Adopt end to end: databases migrated "flat" by psql plus an old tool's
  # history table, then taken over (any main tree: it uses its own trees).
  sg_test(adopt_test SOURCES integration/adopt_test.cc PG TIMEOUT 900
    LIBS nlohmann_json::nlohmann_json schemagate::migrate ENV ${variant_env})
  foreach(v IN LISTS adopt_bins)
    add_dependencies(adopt_test schemagate_variant_${v})
  endforeach()
  if(SG_BUNDLED_TREE)
    set(catalog_env "")
    foreach(v IN LISTS variant_bins)
      string(TOUPPER "${v}" V)
      list(APPEND catalog_env "SCHEMAGATE_CATALOG_${V}=${CMAKE_BINARY_DIR}/generated/${v}/catalog.binpb")
    endforeach()
    sg_test(catalog_join_test SOURCES unit/catalog/join_test.cc
      LIBS schemagate::catalog ENV ${catalog_env})
    sg_test(bundled_variants_test SOURCES integration/bundled_variants_test.cc
      LIBS nlohmann_json::nlohmann_json ENV ${variant_env})
    # The engine end to end (uses the bundled tree's variants too).
    sg_test(migrate_test SOURCES integration/migrate_test.cc PG TIMEOUT 900
      LIBS nlohmann_json::nlohmann_json ENV ${variant_env}
           "SCHEMAGATE_CRLF_TREE=${SG_CRLF_TREE}")
    foreach(v IN LISTS variant_bins engine_bins)
      add_dependencies(migrate_test schemagate_variant_${v})
    endforeach()
  endif()
endif()
