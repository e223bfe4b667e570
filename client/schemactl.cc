// schemactl: the command line for schemagate servers (admins, init
// containers, scripts). Human-readable output by default, --json on every
// command.
//
// This file is main() and the command table; the commands are in
// schemactl_read.cc and schemactl_database.cc, what they share in
// schemactl.h.
#include "client/schemactl.h"

#include <iostream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"

namespace schemagate::schemactl {
namespace {

// One command: parse, connect, run.
using Runner = int (*)(const std::string&, const std::vector<std::string>&);

const std::map<std::string, std::pair<Runner, const char*>>& Commands() {
  static const auto* commands = new std::map<std::string, std::pair<Runner, const char*>>{
      {"clusters", {&Clusters, "list clusters and their migration state"}},
      {"check", {&Check, "are these tables here and migrated?"}},
      {"join", {&Join, "how do these tables join?"}},
      {"query", {&Query, "check SQL against the build"}},
      {"status", {&Status, "migration state from the database"}},
      {"plan", {&Plan, "pending migrations"}},
      {"apply", {&Apply, "apply pending migrations (admin)"}},
      {"rollback", {&Rollback, "revert a cluster (admin)"}},
      {"repair", {&Repair, "record new checksums (admin)"}},
      {"adopt", {&Adopt, "take over a database another tool migrated (admin)"}},
      {"verify", {&Verify, "drift between catalog and database"}},
      {"health", {&Health, "grpc.health.v1 status"}},
      {"wait", {&Wait, "wait until clusters are migrated"}},
      {"targets", {&Targets, "the fleet targets of a server run with --targets"}},
  };
  return *commands;
}

void Usage(std::ostream& out) {
  out << "Usage: schemactl <command> [flags]\n\nCommands:\n";
  for (const auto& [name, c] : Commands()) {
    out << absl::StrFormat("  %-10s %s\n", name, c.second);
  }
  out << "\nEvery command takes --target (the server, SCHEMAGATE_TARGET), --target-id (a "
         "fleet target, SCHEMAGATE_TARGET_ID), TLS flags and --json; see `schemactl "
         "<command> --help`.\n";
}

}  // namespace
}  // namespace schemagate::schemactl

int main(int argc, char** argv) {
  using namespace schemagate::schemactl;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    Usage(std::cerr);
    return kUsage;
  }
  std::string name = args[0];
  if (name == "--help" || name == "-h" || name == "help") {
    Usage(std::cout);
    return kOk;
  }
  auto it = Commands().find(name);
  if (it == Commands().end()) {
    std::cerr << "schemactl: unknown command \"" << name << "\"\n\n";
    Usage(std::cerr);
    return kUsage;
  }
  args.erase(args.begin());
  return it->second.first(name, args);
}
