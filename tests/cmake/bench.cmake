# tests/CMakeLists.txt, part: benchmark binaries (tests/bench/).
# Included (same scope and binary directory as tests/CMakeLists.txt).
# --- Benchmarks (Google Benchmark; run by scripts/bench/*.sh, not by ctest) ---
find_package(benchmark CONFIG)
if(benchmark_FOUND)
  add_executable(join_bench bench/join_bench.cc)
  target_link_libraries(join_bench PRIVATE schemagate::catalog schemagate_test_support
                        benchmark::benchmark pg_query::pg_query)
  set_target_properties(join_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY
                        "${CMAKE_BINARY_DIR}/bench")
  # Recording metrics in process (scripts/bench/rpc_metrics.sh).
  add_executable(metrics_bench bench/metrics_bench.cc)
  target_link_libraries(metrics_bench PRIVATE schemagate::metrics benchmark::benchmark)
  set_target_properties(metrics_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY
                        "${CMAKE_BINARY_DIR}/bench")
endif()

# RPC load generator (scripts/bench/rpc.sh).
add_executable(rpc_bench bench/rpc_bench.cc)
target_link_libraries(rpc_bench PRIVATE schemagate::api_proto schemagate_health_proto
                      schemagate::util gRPC::grpc++)
set_target_properties(rpc_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/bench")
