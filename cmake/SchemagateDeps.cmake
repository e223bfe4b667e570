# Dependency targets that link shared or static per executable.
#
# Libraries link schemagate_absl, schemagate_protobuf and schemagate_pqxx.
# An executable with the target property SCHEMAGATE_STATIC_DEPS set to ON
# links Abseil, protobuf and libpqxx statically (Debian ships the .a files);
# any other links the shared libraries. `$<TARGET_PROPERTY:...>` in an
# INTERFACE property is evaluated on the executable being linked, so one set
# of compiled objects serves both.
#
# Why: the one-shot `schemagate` binary runs in every init container on
# every pod start; loading ~35 shared Abseil/protobuf libraries costs about
# 7 ms of its start-up (measured: scripts/bench/migrate.sh). The server
# (schemagate-server) must link them shared: gRPC's libraries do, and two
# copies of protobuf would split the descriptor pool that server reflection
# reads.

set(_sg_static "$<BOOL:$<TARGET_PROPERTY:SCHEMAGATE_STATIC_DEPS>>")
set(_sg_shared "$<NOT:${_sg_static}>")

set(SCHEMAGATE_ABSL_TARGETS
  absl::status absl::statusor absl::strings absl::str_format absl::time
  absl::flat_hash_map absl::flat_hash_set absl::synchronization absl::cord
  absl::hash absl::random_random)

get_target_property(_sg_absl_loc absl::base IMPORTED_LOCATION_NONE)
if(NOT _sg_absl_loc)
  get_target_property(_sg_absl_loc absl::base IMPORTED_LOCATION)
endif()
get_filename_component(_sg_absl_dir "${_sg_absl_loc}" DIRECTORY)
file(GLOB _sg_absl_static "${_sg_absl_dir}/libabsl_*.a")
string(REGEX REPLACE "\\.so(\\..*)?$" ".a" _sg_protobuf_static "${Protobuf_LIBRARY}")
string(REGEX REPLACE "\\.so(\\..*)?$" ".a" _sg_protobuf_lite_static "${Protobuf_LITE_LIBRARY}")
find_library(_sg_pqxx_static NAMES libpqxx.a HINTS ${PQXX_LIBRARY_DIRS})

set(SCHEMAGATE_HAVE_STATIC_DEPS OFF)
if(_sg_absl_static AND EXISTS "${_sg_protobuf_static}" AND
   EXISTS "${_sg_protobuf_lite_static}" AND _sg_pqxx_static)
  set(SCHEMAGATE_HAVE_STATIC_DEPS ON)
endif()

add_library(schemagate_absl INTERFACE)
add_library(schemagate_protobuf INTERFACE)
add_library(schemagate_protobuf_lite INTERFACE)
add_library(schemagate_pqxx INTERFACE)
target_include_directories(schemagate_pqxx INTERFACE ${PQXX_INCLUDE_DIRS})

if(SCHEMAGATE_HAVE_STATIC_DEPS AND NOT SCHEMAGATE_SANITIZE)
  foreach(t IN LISTS SCHEMAGATE_ABSL_TARGETS)
    target_link_libraries(schemagate_absl INTERFACE "$<${_sg_shared}:${t}>")
  endforeach()
  target_include_directories(schemagate_absl INTERFACE
    $<TARGET_PROPERTY:absl::base,INTERFACE_INCLUDE_DIRECTORIES>)
  string(REPLACE ";" "$<SEMICOLON>" _sg_absl_list "${_sg_absl_static}")
  target_link_libraries(schemagate_absl INTERFACE
    "$<${_sg_static}:-Wl,--start-group$<SEMICOLON>${_sg_absl_list}$<SEMICOLON>-Wl,--end-group>")
  target_link_libraries(schemagate_protobuf INTERFACE
    "$<${_sg_shared}:protobuf::libprotobuf>"
    "$<${_sg_static}:${_sg_protobuf_static}>" Threads::Threads)
  target_include_directories(schemagate_protobuf INTERFACE ${Protobuf_INCLUDE_DIRS})
  target_link_libraries(schemagate_protobuf_lite INTERFACE
    "$<${_sg_shared}:protobuf::libprotobuf-lite>"
    "$<${_sg_static}:${_sg_protobuf_lite_static}>" Threads::Threads)
  target_include_directories(schemagate_protobuf_lite INTERFACE ${Protobuf_INCLUDE_DIRS})
  target_link_libraries(schemagate_pqxx INTERFACE
    "$<${_sg_shared}:PkgConfig::PQXX>"
    "$<${_sg_static}:${_sg_pqxx_static}$<SEMICOLON>pq>")
else()
  target_link_libraries(schemagate_absl INTERFACE ${SCHEMAGATE_ABSL_TARGETS})
  target_link_libraries(schemagate_protobuf INTERFACE protobuf::libprotobuf)
  target_link_libraries(schemagate_protobuf_lite INTERFACE protobuf::libprotobuf-lite)
  target_link_libraries(schemagate_pqxx INTERFACE PkgConfig::PQXX)
endif()

# schemagate_static_deps(<target>): link <target> with static dependencies
# when they are available.
function(schemagate_static_deps target)
  if(SCHEMAGATE_HAVE_STATIC_DEPS AND NOT SCHEMAGATE_SANITIZE)
    set_target_properties(${target} PROPERTIES SCHEMAGATE_STATIC_DEPS ON)
  endif()
endfunction()
