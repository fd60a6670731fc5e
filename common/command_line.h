// What the three binaries share about their command lines (CLI11): the version flag, parsing
// with one exit-code rule, and validators for values that several commands take.
#ifndef RELAYGUARD_COMMON_COMMAND_LINE_H_
#define RELAYGUARD_COMMON_COMMAND_LINE_H_

#include <CLI/CLI.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace relayguard {

constexpr int kExitUsageError = 1;  // every binary: a bad command line

// "relayguard-agent 0.1.0": the binary's name and the project version from CMake.
std::string VersionText(const std::string& program);
// "0.1.0": the project version from CMake (the agent's hello, build_info metrics).
const char* ProjectVersion();

// A CLI11 app named `program` with --version and the usage-error footer every binary has.
void SetUpApp(CLI::App& app, const std::string& program);

// Parses `args` (without the program name). Returns nothing when the command should run;
// otherwise the exit code, after printing --help/--version to `out` (0) or the usage error to
// `err` (kExitUsageError), naming the option and where to find the valid ones.
std::optional<int> ParseCommandLine(CLI::App& app, const std::vector<std::string>& args,
                                    std::ostream& out, std::ostream& err);

// The app and the subcommands the parsed command line gave, outermost first
// (`relayguard-controller config check` -> the app, config, check).
std::vector<const CLI::App*> AppsGiven(const CLI::App& app);

// One of `values`; else "--mta qmail is not one of auto, postfix, exim, sendmail".
CLI::Validator OneOf(std::vector<std::string> values);

// A whole number in [lo, hi]; else "--limit needs 1..1000, got \"x\"" (`needs` replaces
// "needs LO..HI" when the range says it better in words: "needs a positive number").
CLI::Validator IntBetween(int64_t lo, int64_t hi, std::string needs = "");

// An absolute path; trailing slashes are dropped ("/etc/postfix/" -> "/etc/postfix").
CLI::Validator AbsolutePath();

// --label KEY=VALUE, repeatable: the option adds to `labels`.
CLI::Option* AddLabelOption(CLI::App& app, std::map<std::string, std::string>& labels,
                            const std::string& help);

}  // namespace relayguard

#endif  // RELAYGUARD_COMMON_COMMAND_LINE_H_
