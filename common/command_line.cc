#include "common/command_line.h"

#include <algorithm>

#include "absl/strings/numbers.h"

namespace relayguard {

const char* ProjectVersion() { return RELAYGUARD_VERSION; }

std::vector<const CLI::App*> AppsGiven(const CLI::App& app) {
  std::vector<const CLI::App*> apps = {&app};
  auto parsed = [](const CLI::App* sub) { return sub->parsed(); };
  for (std::vector<const CLI::App*> subs = app.get_subcommands(parsed); !subs.empty();
       subs = subs.front()->get_subcommands(parsed)) {
    apps.push_back(subs.front());
  }
  return apps;
}

std::string VersionText(const std::string& program) {
  return program + " " + RELAYGUARD_VERSION;
}

void SetUpApp(CLI::App& app, const std::string& program) {
  app.name(program);
  app.set_version_flag("--version", VersionText(program), "print the version and exit");
  app.set_help_flag("-h,--help", "print this help and exit");
  app.option_defaults()->always_capture_default();
  // Inherited by the commands added after this: what no command takes is reported once, by
  // ParseCommandLine, in the order given.
  app.allow_extras();
}

namespace {

// "relayguardctl rollout start": the program and the commands given.
std::string InnermostCommand(CLI::App& app) {
  std::string command = app.get_name();
  for (std::vector<CLI::App*> subs = app.get_subcommands(); !subs.empty();
       subs = subs.front()->get_subcommands()) {
    command += " " + subs.front()->get_name();
  }
  return command;
}

// The error, and the help that lists the options of the innermost command given.
int UsageError(CLI::App& app, const CLI::ParseError& e, std::ostream& err) {
  std::string what = e.what();
  // "--limit: needs 1..1000" reads better as "--limit needs 1..1000".
  if (dynamic_cast<const CLI::ValidationError*>(&e) != nullptr && what.rfind("--", 0) == 0) {
    if (size_t colon = what.find(": "); colon != std::string::npos) what.erase(colon, 1);
  }
  err << app.get_name() << ": " << what << "\n"
      << "run `" << InnermostCommand(app) << " --help` for the options it takes\n";
  return kExitUsageError;
}

}  // namespace

std::optional<int> ParseCommandLine(CLI::App& app, const std::vector<std::string>& args,
                                    std::ostream& out, std::ostream& err) {
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them backwards
  try {
    app.parse(reversed);
    // Extras are collected rather than thrown so that they are named in the order given.
    if (std::vector<std::string> extra = app.remaining(/*recurse=*/true); !extra.empty()) {
      std::string words;
      for (const std::string& w : extra) words += (words.empty() ? "" : " ") + w;
      err << InnermostCommand(app) << ": unexpected " << words
          << " (not an option or argument of this command)\nrun `" << InnermostCommand(app)
          << " --help` for the options it takes\n";
      return kExitUsageError;
    }
    return std::nullopt;
  } catch (const CLI::CallForHelp&) {
    out << app.help();  // CLI11 gives the help of the (sub)command that was asked about
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::CallForVersion& e) {
    out << e.what() << "\n";
    return 0;
  } catch (const CLI::RequiredError& e) {
    if (!app.get_subcommands().empty() || app.get_require_subcommand_min() == 0) {
      return UsageError(app, e, err);
    }
    // No command, or one CLI11 does not know: name it and the commands there are.
    std::string unknown;
    for (size_t i = 0; i < args.size() && unknown.empty(); ++i) {
      if (args[i].empty() || args[i][0] == '-') continue;
      const CLI::Option* value_of = i > 0 ? app.get_option_no_throw(args[i - 1]) : nullptr;
      if (value_of == nullptr || value_of->get_items_expected_min() == 0) unknown = args[i];
    }
    std::string commands;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      commands += (commands.empty() ? "" : ", ") + sub->get_name();
    }
    err << app.get_name() << ": "
        << (unknown.empty() ? "no command given" : "unknown command \"" + unknown + "\"")
        << "; the commands are " << commands << "\n"
        << "run `" << app.get_name() << " --help` for the options they take\n";
    return kExitUsageError;
  } catch (const CLI::ParseError& e) {
    return UsageError(app, e, err);
  }
}

CLI::Validator OneOf(std::vector<std::string> values) {
  std::string names;
  for (const std::string& v : values) names += (names.empty() ? "" : ", ") + v;
  return CLI::Validator(
      [values, names](std::string& value) -> std::string {
        if (std::find(values.begin(), values.end(), value) != values.end()) return "";
        return value + " is not one of " + names;
      },
      "{" + names + "}");
}

CLI::Validator IntBetween(int64_t lo, int64_t hi, std::string needs) {
  if (needs.empty()) needs = "needs " + std::to_string(lo) + ".." + std::to_string(hi);
  return CLI::Validator(
      [lo, hi, needs](std::string& value) -> std::string {
        int64_t n = 0;
        if (absl::SimpleAtoi(value, &n) && n >= lo && n <= hi) return "";
        return needs + ", got \"" + value + "\"";
      },
      std::to_string(lo) + ".." + std::to_string(hi));
}

CLI::Validator AbsolutePath() {
  return CLI::Validator(
      [](std::string& path) -> std::string {
        if (path.empty() || path[0] != '/') return "needs an absolute path, got \"" + path + "\"";
        while (path.size() > 1 && path.back() == '/') path.pop_back();
        return "";
      },
      "ABSOLUTE-PATH");
}

CLI::Option* AddLabelOption(CLI::App& app, std::map<std::string, std::string>& labels,
                            const std::string& help) {
  return app
      .add_option_function<std::vector<std::string>>(
          "--label",
          [&labels](const std::vector<std::string>& values) {
            for (const std::string& v : values) {
              const size_t eq = v.find('=');
              labels[v.substr(0, eq)] = v.substr(eq + 1);
            }
          },
          help)
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false)
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            const size_t eq = v.find('=');
            if (eq == std::string::npos || eq == 0) return "needs KEY=VALUE, got \"" + v + "\"";
            return "";
          },
          ""));
}

}  // namespace relayguard
