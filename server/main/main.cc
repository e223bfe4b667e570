// schemagate: the schema/migration service for feature-gated PostgreSQL
// schemas. This file only dispatches subcommands (server/main/commands.h).
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "server/main/commands.h"

namespace {

struct Command {
  int (*run)(const schemagate::commands::Args&);
  const char* summary;
};

const std::map<std::string, Command>& Commands() {
  using namespace schemagate::commands;
  static const auto* commands = new std::map<std::string, Command>{
      {"catalog", {&Catalog, "print the compiled catalog (JSON, or a dot/mermaid diagram)"}},
      {"sql", {&Sql, "print the enabled migrations' SQL in apply order"}},
      {"migrate", {&Migrate, "apply pending migrations (safe to run concurrently)"}},
      {"plan", {&Plan, "list pending migrations in apply order; changes nothing"}},
      {"status", {&Status, "each cluster's migration state against this build"}},
      {"verify", {&Verify, "compare the catalog with the live database (drift)"}},
      {"rollback", {&Rollback, "revert a cluster to a version (0 removes it)"}},
      {"repair", {&Repair, "record new checksums of intentionally edited migrations"}},
      {"adopt", {&Adopt, "take over a database another tool migrated (record, don't run)"}},
      {"join", {&Join, "how tables join in this build (ON clauses, paths, trees)"}},
      {"query", {&Query, "check SQL: tables available here, joins on foreign keys"}},
      {"serve", {nullptr, "run the gRPC service (schemagate serve --help)"}},
      {"fleet", {nullptr, "many databases, each with its own features (schemagate fleet --help)"}},
  };
  return *commands;
}

void Usage(std::ostream& out) {
  out << "Usage: schemagate <command> [flags]\n\nCommands:\n";
  for (const auto& [name, command] : Commands()) {
    std::string head = "  " + name;
    head.resize(14, ' ');
    out << head << command.summary << "\n";
  }
  out << "\nRun `schemagate <command> --help` for a command's flags.\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    Usage(std::cerr);
    return schemagate::commands::kUsage;
  }
  const std::string name = args.front();
  if (name == "--help" || name == "-h" || name == "help") {
    Usage(std::cout);
    return schemagate::commands::kOk;
  }
  // Commands of sibling binaries: `serve` links gRPC, `fleet` the full
  // protobuf runtime (the target set's text format); the one-shot commands
  // (run in every init container) start without loading either.
  static const std::map<std::string, std::string> kSiblings = {{"serve", "schemagate-server"},
                                                               {"fleet", "schemagate-fleet"}};
  if (auto sibling = kSiblings.find(name); sibling != kSiblings.end()) {
    char self[4096] = {0};
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    std::string dir = n > 0 ? std::string(self, n) : std::string(argv[0]);
    dir = dir.substr(0, dir.rfind('/') + 1);
    std::string binary = dir + sibling->second;
    std::vector<char*> exec_args = {const_cast<char*>(binary.c_str())};
    for (int i = 1; i < argc; ++i) exec_args.push_back(argv[i]);
    exec_args.push_back(nullptr);
    execv(binary.c_str(), exec_args.data());
    execvp(sibling->second.c_str(), exec_args.data());
    std::cerr << "schemagate " << name << ": cannot run " << binary << ": " << std::strerror(errno)
              << "\n";
    return 1;
  }
  auto it = Commands().find(name);
  if (it == Commands().end()) {
    std::cerr << "schemagate: unknown command \"" << name << "\"\n\n";
    Usage(std::cerr);
    return schemagate::commands::kUsage;
  }
  args.erase(args.begin());
  return it->second.run(args);
}
