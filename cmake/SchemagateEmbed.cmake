# schemagate_embedded_library(<variant> FEATURES <list> [TREE <dir>]
#                             [DEPENDS <files>...]
#                             [HEADERS CLUSTERS <enabled clusters>])
#
# Runs the build-time generator (target schemagate-gen, or the prebuilt
# SCHEMAGATE_GENERATOR) over <dir> (default SCHEMAGATE_MIGRATIONS_DIR) for
# <list> and assembles the result into the static library
# schemagate_embedded_<variant>, which defines
# schemagate::catalog::EmbeddedCatalogBytes() (the serialized catalog,
# catalog.binpb, taken in by the assembler's .incbin). Regenerated whenever a
# file of the tree, the feature list or the generator changes; what depends
# on the outputs is rebuilt only when they changed. The generated source
# lives in ${PROJECT_BINARY_DIR}/generated/<variant>/ and is never committed.
#
# With HEADERS the same run also writes the consumer schema headers into
# generated/<variant>/include/ (schemagate/schema.h, schemagate/schema/
# features.h and schemagate/schema/<cluster>.h for each of CLUSTERS, the
# enabled set as schemagate_resolve_features() computed it), built by the
# target schemagate_schema_headers_<variant> and used through the INTERFACE
# library schemagate_schema_<variant> (docs/CONSUMERS.md).

function(schemagate_embedded_library variant)
  # DEPENDS: for a tree made at build time (schemagate-gen import), the files
  # whose change means the tree changed (its files cannot be globbed at
  # configure time).
  cmake_parse_arguments(ARG "HEADERS" "FEATURES;TREE" "CLUSTERS;DEPENDS" ${ARGN})
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
  set(tree_files "")
  if(NOT ARG_DEPENDS)
    file(GLOB_RECURSE tree_files CONFIGURE_DEPENDS
         "${ARG_TREE}/*")
  endif()
  if(SCHEMAGATE_GENERATOR)
    set(gen "${SCHEMAGATE_GENERATOR}")
  else()
    set(gen schemagate-gen)
  endif()
  # The generator writes each file only when its content changes, and one
  # stamp tells that it ran: so an edit that leaves the catalog (or the
  # schema headers) as they were rebuilds nothing after the generator, and
  # one that changes the catalog re-assembles only embedded_catalog.cc (an
  # .incbin of catalog.binpb, which the assembler copies: no C++ array to
  # compile, whatever the tree's size) and relinks.
  set(stamp_out "${dir}/generated.stamp")
  set(byproducts "${dir}/embedded_catalog.cc" "${dir}/catalog.binpb")
  set(header_args "")
  if(ARG_HEADERS)
    set(inc "${dir}/include")
    set(headers "${inc}/schemagate/schema.h" "${inc}/schemagate/schema/features.h")
    foreach(c IN LISTS ARG_CLUSTERS)
      list(APPEND headers "${inc}/schemagate/schema/${c}.h")
    endforeach()
    list(APPEND byproducts ${headers})
    set(header_args "--out-headers=${inc}")
  endif()
  add_custom_command(
    OUTPUT "${stamp_out}"
    BYPRODUCTS ${byproducts}
    COMMAND "${gen}"
            "--tree=${ARG_TREE}"
            "--features=${ARG_FEATURES}"
            "--out=${dir}/embedded_catalog.cc"
            "--out-binary=${dir}/catalog.binpb"
            "--dev-database=${SCHEMAGATE_DEV_DATABASE}"
            "--lint=${SCHEMAGATE_LINT}"
            ${header_args}
    COMMAND "${CMAKE_COMMAND}" -E touch "${stamp_out}"
    DEPENDS "${gen}" "${stamp}" ${tree_files} ${ARG_DEPENDS}
    COMMENT "schemagate-gen: catalog '${variant}' (features: ${ARG_FEATURES})"
    VERBATIM)
  # One target runs the command; everything that needs its files waits for
  # it (two targets running one custom command could race under make -j).
  add_custom_target(schemagate_catalog_gen_${variant} DEPENDS "${stamp_out}")
  add_library(schemagate_embedded_${variant} STATIC "${dir}/embedded_catalog.cc")
  set_source_files_properties("${dir}/embedded_catalog.cc" PROPERTIES
    OBJECT_DEPENDS "${dir}/catalog.binpb")
  add_dependencies(schemagate_embedded_${variant} schemagate_catalog_gen_${variant})
  target_include_directories(schemagate_embedded_${variant} PRIVATE "${PROJECT_SOURCE_DIR}")
  set_property(TARGET schemagate_embedded_${variant}
               PROPERTY SCHEMAGATE_CATALOG_BINARY "${dir}/catalog.binpb")
  if(ARG_HEADERS)
    add_custom_target(schemagate_schema_headers_${variant})
    add_dependencies(schemagate_schema_headers_${variant} schemagate_catalog_gen_${variant})
    add_library(schemagate_schema_${variant} INTERFACE)
    target_include_directories(schemagate_schema_${variant} INTERFACE
      "$<BUILD_INTERFACE:${inc}>"
      "$<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/client/include>"
      "$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>")
    target_compile_features(schemagate_schema_${variant} INTERFACE cxx_std_17)
    add_dependencies(schemagate_schema_${variant} schemagate_schema_headers_${variant})
    set_target_properties(schemagate_schema_${variant} PROPERTIES
      SCHEMAGATE_SCHEMA_INCLUDE_DIR "${inc}")
  endif()
endfunction()
