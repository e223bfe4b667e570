# tests/CMakeLists.txt, part: the consumer package (tests/install/).
# Included (same scope and binary directory as tests/CMakeLists.txt).
# === Consumer package (docs/CONSUMERS.md): schema headers, install, examples ===
# Unit tests of the header emitter; they also compile generated headers with
# this build's compiler.
sg_test(generator_schema_headers_test SOURCES unit/generator/schema_headers_test.cc
  LIBS schemagate::generator
  ENV "SCHEMAGATE_TEST_CXX=${CMAKE_CXX_COMPILER}" "SCHEMAGATE_SOURCE_DIR=${PROJECT_SOURCE_DIR}")

# `cmake --install` of this build into a temporary prefix (fixture
# consumer_package), then consumers configured and built against it. Not in
# sanitizer builds: consumers would link instrumented libraries.
if(NOT SCHEMAGATE_SANITIZE)
  set(SG_CONSUMER_DIR "${CMAKE_CURRENT_BINARY_DIR}/consumer")
  set(SG_CONSUMER_SH bash "${CMAKE_CURRENT_SOURCE_DIR}/install/consumer.sh")
  set(SG_CONSUMER_PREFIX "${SG_CONSUMER_DIR}/prefix")
  add_test(NAME consumer_install
    COMMAND ${SG_CONSUMER_SH} install "${CMAKE_BINARY_DIR}" "${SG_CONSUMER_PREFIX}")
  set_tests_properties(consumer_install PROPERTIES FIXTURES_SETUP consumer_package
                       TIMEOUT 300)

  # Any tree: the package records this build's feature set, installs exactly
  # the enabled clusters' headers, and they all compile (-Werror).
  string(REPLACE ";" "," sg_features_arg "${SCHEMAGATE_ENABLED_FEATURES}")
  string(REPLACE ";" "," sg_clusters_arg "${SCHEMAGATE_ENABLED_CLUSTERS}")
  add_test(NAME consumer_generic_build
    COMMAND ${SG_CONSUMER_SH} configure-build
            "${CMAKE_CURRENT_SOURCE_DIR}/install/generic_consumer"
            "${SG_CONSUMER_DIR}/generic-build" "${SG_CONSUMER_PREFIX}"
            "-DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER}"
            "-DEXPECTED_CLUSTERS=${sg_clusters_arg}" "-DEXPECTED_FEATURES=${sg_features_arg}")
  set_tests_properties(consumer_generic_build PROPERTIES
    FIXTURES_REQUIRED consumer_package TIMEOUT 300)

  # The bundled tree with tasks: examples/ against this package and against a
  # minimal (core only) package from a second, development-only build.
  get_filename_component(sg_tree_real "${SCHEMAGATE_MIGRATIONS_DIR}" REALPATH)
  get_filename_component(sg_bundled_real "${PROJECT_SOURCE_DIR}/migrations" REALPATH)
  if(sg_tree_real STREQUAL sg_bundled_real AND "tasks" IN_LIST SCHEMAGATE_ENABLED_CLUSTERS)
    set(SG_MIN_PREFIX "${SG_CONSUMER_DIR}/prefix-min")
    add_test(NAME consumer_tasks_build
      COMMAND ${SG_CONSUMER_SH} configure-build "${PROJECT_SOURCE_DIR}/examples"
              "${SG_CONSUMER_DIR}/tasks-build" "${SG_CONSUMER_PREFIX}"
              "-DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER}")
    set_tests_properties(consumer_tasks_build PROPERTIES
      FIXTURES_REQUIRED consumer_package FIXTURES_SETUP consumer_tasks TIMEOUT 600)
    # The source that names a tasks table compiles with tasks (so its
    # failure with the minimal package is the gate, not a broken source).
    add_test(NAME consumer_tasks_names_tasks_table
      COMMAND "${CMAKE_COMMAND}" --build "${SG_CONSUMER_DIR}/tasks-build"
              --target names_tasks_table)
    set_tests_properties(consumer_tasks_names_tasks_table PROPERTIES
      FIXTURES_REQUIRED consumer_tasks)

    add_test(NAME consumer_min_package
      COMMAND ${SG_CONSUMER_SH} min-package "${PROJECT_SOURCE_DIR}"
              "${SCHEMAGATE_MIGRATIONS_DIR}" "$<TARGET_FILE:schemagate-gen>"
              "${SG_CONSUMER_DIR}/min-project" "${SG_MIN_PREFIX}")
    set_tests_properties(consumer_min_package PROPERTIES
      FIXTURES_SETUP consumer_min_package TIMEOUT 900)
    # Builds uses_core_tables.cc (the control) and the service with its
    # tasks code compiled out.
    add_test(NAME consumer_min_build
      COMMAND ${SG_CONSUMER_SH} configure-build "${PROJECT_SOURCE_DIR}/examples"
              "${SG_CONSUMER_DIR}/min-build" "${SG_MIN_PREFIX}"
              "-DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER}")
    set_tests_properties(consumer_min_build PROPERTIES
      FIXTURES_REQUIRED consumer_min_package FIXTURES_SETUP consumer_min TIMEOUT 600)
    # Naming the tasks table does not compile with the minimal package ...
    add_test(NAME consumer_min_names_tasks_table
      COMMAND "${CMAKE_COMMAND}" --build "${SG_CONSUMER_DIR}/min-build"
              --target names_tasks_table)
    set_tests_properties(consumer_min_names_tasks_table PROPERTIES
      FIXTURES_REQUIRED consumer_min WILL_FAIL TRUE RESOURCE_LOCK consumer_min_build)
    # ... and for that reason: the compiler names schemagate::schema::tasks.
    add_test(NAME consumer_min_names_tasks_table_error
      COMMAND ${SG_CONSUMER_SH} expect-compile-failure "${SG_CONSUMER_DIR}/min-build"
              names_tasks_table
              "names_tasks_table\\.cc:[0-9]+:[0-9]+: error: .{1,3}(schemagate::schema::tasks.{1,3} has not been declared|tasks.{1,3} is not a member of .{1,3}schemagate::schema)")
    set_tests_properties(consumer_min_names_tasks_table_error PROPERTIES
      FIXTURES_REQUIRED consumer_min RESOURCE_LOCK consumer_min_build)

    # Both builds of the example's test against the installed server.
    sg_test(consumer_tasks_service_test SOURCES install/tasks_service_test.cc PG TIMEOUT 300
      LIBS schemagate_test_service_support
      ENV "SCHEMAGATE_INSTALL_PREFIX=${SG_CONSUMER_PREFIX}"
          "SCHEMAGATE_CONSUMER_TASKS_BIN=${SG_CONSUMER_DIR}/tasks-build/tasks_service/tasks_service_test"
          "SCHEMAGATE_CONSUMER_MIN_BIN=${SG_CONSUMER_DIR}/min-build/tasks_service/tasks_service_test")
    set_tests_properties(consumer_tasks_service_test PROPERTIES
      FIXTURES_REQUIRED "pg;consumer_package;consumer_tasks;consumer_min")
  endif()
endif()
# === end of consumer package block ===
