// Counts and sizes for people: "950 rows", "2.1M rows", "800 MB" (as
// PostgreSQL's pg_size_pretty: powers of 1024, the next unit once a number
// passes 10 of it). Used by `schemagate plan` and `schemactl plan`.
//
// Pure; thread-safe.
#ifndef SCHEMAGATE_SERVER_UTIL_HUMAN_H_
#define SCHEMAGATE_SERVER_UTIL_HUMAN_H_

#include <cstdint>
#include <string>

namespace schemagate::human {

std::string Rows(int64_t rows);
std::string Bytes(int64_t bytes);

}  // namespace schemagate::human

#endif  // SCHEMAGATE_SERVER_UTIL_HUMAN_H_
