# tests/CMakeLists.txt, part: deployment, API contract, metrics, diagrams, image, fuzzing.
# Included (same scope and binary directory as tests/CMakeLists.txt).
# --- The deployment says only true things (deploy/, docs/OPERATIONS.md) ---------
# Renders every kustomize overlay and checks commands, flags, env variables and
# probe service names against the binaries built here (needs kubectl and
# python3-yaml; scripts/install-deps.sh installs both).
if(SG_BUNDLED_TREE AND SCHEMAGATE_FEATURES STREQUAL "all")
  add_test(NAME deploy_manifests
    COMMAND "${SG_PYTHON3}" "${PROJECT_SOURCE_DIR}/tests/deploy/manifests_test.py"
            "${PROJECT_SOURCE_DIR}" "${CMAKE_BINARY_DIR}/bin")
  set_tests_properties(deploy_manifests PROPERTIES TIMEOUT 300)
endif()

# --- The API contract: buf lint and buf breaking against the committed
# baseline (scripts/api-check.sh, docs/SERVICE.md "The API contract"); buf is
# installed by scripts/install-deps.sh into build/tools/buf. Label "api".
foreach(check lint breaking selftest)
  add_test(NAME api_${check}
    COMMAND bash "${PROJECT_SOURCE_DIR}/scripts/api-check.sh" ${check})
  set_tests_properties(api_${check} PROPERTIES LABELS api TIMEOUT 120)
endforeach()

# --- Prometheus metrics (docs/OPERATIONS.md "Metrics"; label "metrics"):
# a server scraped during migrations and RPC load, migrate --metrics-file,
# every output through `promtool check metrics` (Debian's prometheus), and
# the alert rules through `promtool check rules` and `promtool test rules`.
add_test(NAME metrics_end_to_end
  COMMAND "${SG_PYTHON3}" "${CMAKE_CURRENT_SOURCE_DIR}/metrics/metrics_test.py"
          "${PROJECT_SOURCE_DIR}" "${CMAKE_BINARY_DIR}/bin")
set_tests_properties(metrics_end_to_end PROPERTIES LABELS metrics TIMEOUT 600
  FIXTURES_REQUIRED pg ENVIRONMENT "${SG_PG_ENV};SCHEMAGATE_TEST_LOG_DIR=${SG_LOG_DIR}")
add_test(NAME metrics_alerts
  COMMAND promtool test rules "${CMAKE_CURRENT_SOURCE_DIR}/metrics/alerts_test.yml")
set_tests_properties(metrics_alerts PROPERTIES LABELS metrics TIMEOUT 120)

# --- Diagrams of the schema (schemagate catalog --format=dot|mermaid) --------
# Graphviz accepts the dot output, without a warning, and the Mermaid output
# is well-formed erDiagram, for every feature-set variant of this build
# (build/variants/*) and the main build, whole and per cluster (label
# "diagram"; dot from Debian's graphviz).
set(sg_diagram_bins "${CMAKE_BINARY_DIR}/bin/schemagate")
if(SCHEMAGATE_TEST_VARIANTS)
  foreach(v IN LISTS variant_bins engine_bins adopt_bins)
    list(APPEND sg_diagram_bins "${vdir}/${v}/schemagate")
  endforeach()
endif()
add_test(NAME catalog_diagrams
  COMMAND "${SG_PYTHON3}" "${CMAKE_CURRENT_SOURCE_DIR}/diagram/check_diagrams.py"
          ${sg_diagram_bins})
set_tests_properties(catalog_diagrams PROPERTIES LABELS diagram TIMEOUT 900)

# --- The container image, built and run (tests/image/image_test.sh; label
# "image"): deploy/Dockerfile's runtime stage from this build's binaries and
# the debian:12-slim reference, built with podman (chroot isolation, bases
# from mmdebstrap when no registry answers); migrate and serve run inside it
# with `buildah run`, health and RPCs are called from outside. Not in
# sanitizer builds (their binaries are not what ships).
if(NOT SCHEMAGATE_SANITIZE)
  add_test(NAME image_build_and_run
    COMMAND bash "${CMAKE_CURRENT_SOURCE_DIR}/image/image_test.sh"
            "${PROJECT_SOURCE_DIR}" "${CMAKE_BINARY_DIR}")
  set_tests_properties(image_build_and_run PROPERTIES LABELS image TIMEOUT 1800
    FIXTURES_REQUIRED pg ENVIRONMENT "${SG_PG_ENV};SCHEMAGATE_TEST_LOG_DIR=${SG_LOG_DIR}")
  # The whole Dockerfile, compiled from source in its build stage (minimal
  # feature set): 20-40 minutes on 2 cores, so opt-in (label "image-source",
  # excluded by scripts/test.sh; README "Tests and their labels").
  add_test(NAME image_from_source
    COMMAND bash "${CMAKE_CURRENT_SOURCE_DIR}/image/image_test.sh"
            "${PROJECT_SOURCE_DIR}" "${CMAKE_BINARY_DIR}" --source=core)
  set_tests_properties(image_from_source PROPERTIES LABELS image-source TIMEOUT 5400
    FIXTURES_REQUIRED pg ENVIRONMENT "${SG_PG_ENV};SCHEMAGATE_TEST_LOG_DIR=${SG_LOG_DIR}")
endif()

# --- Fuzzing: seed corpora and regressions replayed by this build; the
# libFuzzer targets themselves build with clang in build-fuzz (scripts/fuzz.sh).
add_subdirectory(fuzz)
