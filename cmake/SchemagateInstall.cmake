# `cmake --install` rules and the schemagate CMake package (docs/CONSUMERS.md).
#
# Components:
#   runtime      bin/: schemagate, schemagate-server, schemagate-fleet, schemactl, schemagate-gen
#   development  the client library (schemagate::client) with the protobuf/
#                gRPC libraries it links, its headers, the schema headers of
#                this build's feature set (schemagate::schema) and
#                lib/cmake/schemagate/: schemagateConfig.cmake (records
#                SCHEMAGATE_FEATURES / SCHEMAGATE_ENABLED_CLUSTERS /
#                SCHEMAGATE_REQUESTED_FEATURES),
#                schemagateConfigVersion.cmake, schemagateTargets.cmake.
# `cmake --install <build>` installs both; `--component development` only
# needs the target schemagate_development built (no server, no tests).
#
# Layout under the prefix:
#   include/schemagate/schema.h, schema_types.h, schema/*.h   schema headers
#   include/schemagate/client/schemagate_client.h             the client
#   include/schemagate/proto/...                               generated API headers
#   lib/libschemagate_client.a, libschemagate_api_proto.a, libschemagate_health_proto.a

include(CMakePackageConfigHelpers)

set(SCHEMAGATE_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/schemagate"
    CACHE STRING "Where the schemagate CMake package files are installed")
set(_sg_proto_incdir "${CMAKE_INSTALL_INCLUDEDIR}/schemagate/proto")

# The proto libraries' headers are generated into the build tree; installed,
# they live in include/schemagate/proto. (Set here, where the install layout
# is decided, rather than in proto/.)
set(_sg_proto_out "${PROJECT_BINARY_DIR}/generated/proto")  # proto/CMakeLists.txt
foreach(t schemagate_api_proto schemagate_health_proto)
  set_property(TARGET ${t} PROPERTY INTERFACE_INCLUDE_DIRECTORIES
    "$<BUILD_INTERFACE:${_sg_proto_out}>"
    "$<INSTALL_INTERFACE:${_sg_proto_incdir}>")
endforeach()
set_target_properties(schemagate_api_proto PROPERTIES EXPORT_NAME api_proto)
set_target_properties(schemagate_health_proto PROPERTIES EXPORT_NAME health_proto)
set_target_properties(schemagate_client PROPERTIES EXPORT_NAME client)
set_target_properties(schemagate_schema_default PROPERTIES EXPORT_NAME schema)
add_library(schemagate::schema ALIAS schemagate_schema_default)

# Everything the development component installs, so a packaging build can
# run `cmake --build <dir> --target schemagate_development` and skip the rest.
add_custom_target(schemagate_development)
add_dependencies(schemagate_development schemagate_client schemagate_api_proto
                 schemagate_health_proto schemagate_schema_headers_default)

# --- runtime ----------------------------------------------------------------
install(TARGETS schemagate schemagate-server schemagate-fleet schemactl schemagate-gen
        RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT runtime)

# --- development ------------------------------------------------------------
install(TARGETS schemagate_client schemagate_api_proto schemagate_health_proto
                schemagate_schema_default
        EXPORT schemagateTargets
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT development
        INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(FILES "${PROJECT_SOURCE_DIR}/client/schemagate_client.h"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/schemagate/client"
        COMPONENT development)
install(FILES "${PROJECT_SOURCE_DIR}/client/include/schemagate/schema_types.h"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/schemagate" COMPONENT development)
foreach(h schemagate/v1/schemagate.pb.h schemagate/v1/schemagate.grpc.pb.h
          google/rpc/status.pb.h google/rpc/error_details.pb.h
          grpc/health/v1/health.pb.h grpc/health/v1/health.grpc.pb.h)
  get_filename_component(d "${h}" DIRECTORY)
  install(FILES "${_sg_proto_out}/${h}" DESTINATION "${_sg_proto_incdir}/${d}"
          COMPONENT development)
endforeach()
# The schema headers of this feature set. The directory holds exactly the
# enabled clusters' headers: schemagate-gen removes those of earlier runs.
get_target_property(_sg_schema_inc schemagate_schema_default SCHEMAGATE_SCHEMA_INCLUDE_DIR)
install(FILES "${_sg_schema_inc}/schemagate/schema.h"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/schemagate" COMPONENT development)
install(DIRECTORY "${_sg_schema_inc}/schemagate/schema/"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/schemagate/schema"
        COMPONENT development FILES_MATCHING PATTERN "*.h")
install(EXPORT schemagateTargets NAMESPACE schemagate::
        DESTINATION "${SCHEMAGATE_INSTALL_CMAKEDIR}" COMPONENT development)

# The feature set, as the package's config file reports it.
string(REGEX REPLACE "[,; \t]+" ";" _sg_requested "${SCHEMAGATE_FEATURES}")
list(REMOVE_ITEM _sg_requested "")
set(SCHEMAGATE_PACKAGE_REQUESTED "${_sg_requested}")
set(SCHEMAGATE_PACKAGE_FEATURES "${SCHEMAGATE_ENABLED_FEATURES}")
set(SCHEMAGATE_PACKAGE_CLUSTERS "${SCHEMAGATE_ENABLED_CLUSTERS}")
configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/schemagateConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/package/schemagateConfig.cmake"
  INSTALL_DESTINATION "${SCHEMAGATE_INSTALL_CMAKEDIR}"
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_BINDIR)
# The feature set is part of the package's identity, not of its version: any
# 0.x package of the same major version is compatible.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/package/schemagateConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}" COMPATIBILITY SameMajorVersion)
install(FILES "${PROJECT_BINARY_DIR}/package/schemagateConfig.cmake"
              "${PROJECT_BINARY_DIR}/package/schemagateConfigVersion.cmake"
        DESTINATION "${SCHEMAGATE_INSTALL_CMAKEDIR}" COMPONENT development)
