// The subcommands of the schemagate binary. Each takes the arguments after
// its name and returns the process exit code (see docs/EXIT_CODES.md).
#ifndef SCHEMAGATE_SERVER_MAIN_COMMANDS_H_
#define SCHEMAGATE_SERVER_MAIN_COMMANDS_H_

#include <string>
#include <vector>

namespace schemagate::commands {

// Exit codes shared by every subcommand.
enum ExitCode : int {
  kOk = 0,
  kUsage = 2,  // bad flags or arguments
};

using Args = std::vector<std::string>;

int Catalog(const Args& args);
int Sql(const Args& args);
int Migrate(const Args& args);
int Plan(const Args& args);
int Status(const Args& args);
int Verify(const Args& args);
int Rollback(const Args& args);
int Repair(const Args& args);
int Adopt(const Args& args);
int Join(const Args& args);
int Query(const Args& args);

}  // namespace schemagate::commands

#endif  // SCHEMAGATE_SERVER_MAIN_COMMANDS_H_
