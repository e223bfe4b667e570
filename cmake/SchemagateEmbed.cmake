# schemagate_embedded_library(<variant> FEATURES <list> [TREE <dir>])
#
# Runs the build-time generator (target schemagate-gen) over <dir> (default
# SCHEMAGATE_MIGRATIONS_DIR) for <list> and compiles the result into the
# static library schemagate_embedded_<variant>, which defines
# schemagate::catalog::EmbeddedCatalogBytes(). Regenerated whenever a file of
# the tree, the feature list or the generator changes. The generated source
# lives in ${PROJECT_BINARY_DIR}/generated/<variant>/ and is never committed.

function(schemagate_embedded_library variant)
  cmake_parse_arguments(ARG "" "FEATURES;TREE" "" ${ARGN})
  if(NOT ARG_TREE)
    set(ARG_TREE "${SCHEMAGATE_MIGRATIONS_DIR}")
  endif()
  set(dir "${PROJECT_BINARY_DIR}/generated/${variant}")
  file(MAKE_DIRECTORY "${dir}")
  # The feature list is a file so that changing it reruns the generator
  # with every generator (Make does not track command lines).
  set(stamp "${dir}/features.txt")
  set(content "${ARG_FEATURES}\n")
  if(EXISTS "${stamp}")
    file(READ "${stamp}" old)
  else()
    set(old "")
  endif()
  if(NOT old STREQUAL content)
    file(WRITE "${stamp}" "${content}")
  endif()
  file(GLOB_RECURSE tree_files CONFIGURE_DEPENDS
       "${ARG_TREE}/*")
  add_custom_command(
    OUTPUT "${dir}/embedded_catalog.cc" "${dir}/catalog.binpb"
    COMMAND schemagate-gen
            "--tree=${ARG_TREE}"
            "--features=${ARG_FEATURES}"
            "--out=${dir}/embedded_catalog.cc"
            "--out-binary=${dir}/catalog.binpb"
    # The outputs are rewritten only when they change; touch them so the
    # rule is satisfied either way.
    COMMAND "${CMAKE_COMMAND}" -E touch "${dir}/embedded_catalog.cc" "${dir}/catalog.binpb"
    DEPENDS schemagate-gen "${stamp}" ${tree_files}
    COMMENT "schemagate-gen: catalog '${variant}' (features: ${ARG_FEATURES})"
    VERBATIM)
  add_library(schemagate_embedded_${variant} STATIC "${dir}/embedded_catalog.cc")
  target_include_directories(schemagate_embedded_${variant} PRIVATE "${PROJECT_SOURCE_DIR}")
  set_property(TARGET schemagate_embedded_${variant}
               PROPERTY SCHEMAGATE_CATALOG_BINARY "${dir}/catalog.binpb")
endfunction()
