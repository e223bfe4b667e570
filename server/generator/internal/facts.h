// Tree-wide facts for the gating rule: which cluster creates each table,
// view and type, and each cluster's dependency closure, collected from
// every up.sql before any migration is replayed. Pure.
#ifndef SCHEMAGATE_SERVER_GENERATOR_INTERNAL_FACTS_H_
#define SCHEMAGATE_SERVER_GENERATOR_INTERNAL_FACTS_H_

#include <map>
#include <set>
#include <string>

#include "server/generator/diagnostic.h"
#include "server/generator/tree.h"
#include "server/sql/pg_proto.h"

namespace schemagate::generator::internal {

// Where a relation or type is created.
struct Origin {
  std::string cluster;
  std::string file;
  int line = 0;
  int column = 0;
  bool view = false;
};

// Tree-wide facts the gating rule needs: who creates what, and each
// cluster's dependency closure.
struct TreeFacts {
  std::map<std::string, Origin> relations;  // tables and views
  std::map<std::string, Origin> types;      // enums, composites, domains
  std::map<std::string, std::set<std::string>> closures;
};

// The parse trees of a tree's files, keyed by display path.
using ParsedFiles = std::map<std::string, sql::ProtoTree>;

// Collects TreeFacts from every up.sql; reports (file:line) a table, view or
// type that two clusters create.
TreeFacts CollectFacts(const SourceTree& tree, const ParsedFiles& parsed, Diagnostics* diagnostics);

}  // namespace schemagate::generator::internal

#endif  // SCHEMAGATE_SERVER_GENERATOR_INTERNAL_FACTS_H_
