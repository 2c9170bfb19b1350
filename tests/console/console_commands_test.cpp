// Tests of dynservctl's command language: every command's arguments, usage
// errors, suggestions, line splitting, the command line and completion.
#include "tools/console/console_commands.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace dynserv;
using namespace dynserv::console;

namespace {

using words = std::vector<std::string>;

/// Parses `ws` and fails the test on a usage error.
command parse_ok(const words& ws) {
  auto res = parse_command(ws);
  if (auto err = std::get_if<usage_error>(&res))
    BOOST_FAIL("unexpected usage error: " << err->message);
  return std::get<command>(res);
}

/// Parses `ws` and fails the test unless it is a usage error.
usage_error parse_error(const words& ws) {
  auto res = parse_command(ws);
  if (std::holds_alternative<command>(res))
    BOOST_FAIL("expected a usage error for " << ws.front());
  return std::get<usage_error>(res);
}

cli_options cli_ok(const words& ws) {
  auto res = parse_cli(ws);
  if (auto err = std::get_if<usage_error>(&res))
    BOOST_FAIL("unexpected usage error: " << err->message);
  return std::get<cli_options>(res);
}

usage_error cli_error(const words& ws) {
  auto res = parse_cli(ws);
  if (std::holds_alternative<cli_options>(res))
    BOOST_FAIL("expected a usage error");
  return std::get<usage_error>(res);
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_SUITE(command_parsing)

BOOST_AUTO_TEST_CASE(status_pools_limits_quit_take_no_arguments) {
  BOOST_TEST((parse_ok({"status"}).kind == command_kind::status));
  BOOST_TEST((parse_ok({"pools"}).kind == command_kind::pools));
  BOOST_TEST((parse_ok({"limits"}).kind == command_kind::limits));
  BOOST_TEST((parse_ok({"webhooks"}).kind == command_kind::webhooks));
  BOOST_TEST(parse_ok({"webhooks", "--json"}).json);
  BOOST_TEST((parse_ok({"quit"}).kind == command_kind::quit));
  BOOST_TEST((parse_ok({"exit"}).kind == command_kind::quit));
  for (auto name : {"status", "pools", "limits", "webhooks", "quit"}) {
    auto err = parse_error({name, "x"});
    BOOST_TEST(err.message == std::string{name} + ": unexpected argument 'x'");
    BOOST_TEST(contains(err.usage, std::string{"usage: "} + name));
  }
}

BOOST_AUTO_TEST_CASE(json_is_accepted_by_every_command) {
  for (const auto& name : command_names()) {
    words ws{name};
    if (name == "server" || name == "stop" || name == "ensure")
      ws.push_back("1");
    ws.push_back("--json");
    BOOST_TEST(parse_ok(ws).json, name);
  }
  BOOST_TEST(!parse_ok({"status"}).json);
  BOOST_TEST(parse_error({"status", "--json=yes"}).message
             == "status: --json takes no value");
}

BOOST_AUTO_TEST_CASE(servers_takes_a_pool_and_a_status) {
  auto all = parse_ok({"servers"});
  BOOST_TEST((all.kind == command_kind::servers));
  BOOST_TEST(all.pool.empty());
  BOOST_TEST(!all.status_filter.has_value());
  auto one = parse_ok({"servers", "batch", "--status", "running"});
  BOOST_TEST(one.pool == "batch");
  BOOST_TEST((one.status_filter == server_status::running));
  auto eq = parse_ok({"servers", "--status=errored"});
  BOOST_TEST((eq.status_filter == server_status::errored));
  BOOST_TEST(eq.pool.empty());
  auto bad = parse_error({"servers", "--status", "bogus"});
  BOOST_TEST(contains(bad.message, "--status must be one of pending, "));
  BOOST_TEST(contains(bad.message, "got 'bogus'"));
  BOOST_TEST(parse_error({"servers", "--status"}).message
             == "servers: --status needs a value");
  BOOST_TEST(parse_error({"servers", "a", "b"}).message
             == "servers: unexpected argument 'b'");
  BOOST_TEST(parse_error({"servers", "--bogus"}).message
             == "servers: unknown option '--bogus'");
}

BOOST_AUTO_TEST_CASE(server_and_stop_need_exactly_one_id) {
  for (auto kind : {command_kind::server, command_kind::stop}) {
    std::string name = to_string(kind);
    auto cmd = parse_ok({name, "4d90176b"});
    BOOST_TEST((cmd.kind == kind));
    BOOST_TEST(cmd.server_id == "4d90176b");
    BOOST_TEST(parse_error({name}).message == name + ": missing ID");
    BOOST_TEST(parse_error({name, "a", "b"}).message
               == name + ": unexpected argument 'b'");
    BOOST_TEST(parse_error({name, ""}).message
               == name + ": ID must not be empty");
  }
  // After --, an id may look like an option.
  BOOST_TEST(parse_ok({"server", "--", "--odd"}).server_id == "--odd");
}

BOOST_AUTO_TEST_CASE(ensure_needs_a_count_and_defaults_the_pool) {
  auto cmd = parse_ok({"ensure", "5"});
  BOOST_TEST((cmd.kind == command_kind::ensure));
  BOOST_TEST(cmd.count == 5);
  BOOST_TEST(cmd.pool == "default");
  auto batch = parse_ok({"ensure", "0", "batch"});
  BOOST_TEST(batch.count == 0);
  BOOST_TEST(batch.pool == "batch");
  BOOST_TEST(parse_ok({"ensure", "9223372036854775807"}).count == INT64_MAX);
}

BOOST_AUTO_TEST_CASE(ensure_rejects_bad_counts_locally) {
  auto missing = parse_error({"ensure"});
  BOOST_TEST(missing.message == "ensure: missing N");
  BOOST_TEST(contains(missing.usage, "usage: ensure N [POOL] [--json]"));
  BOOST_TEST(parse_error({"ensure", "abc"}).message
             == "ensure: N must be an integer, got 'abc'");
  BOOST_TEST(parse_error({"ensure", "-3"}).message
             == "ensure: N must be zero or more, got -3");
  BOOST_TEST(parse_error({"ensure", "3x"}).message
             == "ensure: N must be an integer, got '3x'");
  BOOST_TEST(parse_error({"ensure", "1.5"}).message
             == "ensure: N must be an integer, got '1.5'");
  BOOST_TEST(parse_error({"ensure", "+3"}).message
             == "ensure: N must be an integer, got '+3'");
  auto huge = parse_error({"ensure", "9223372036854775808"});
  BOOST_TEST(contains(huge.message, "N is out of range"));
  auto very_negative = parse_error({"ensure", "-99999999999999999999"});
  BOOST_TEST(contains(very_negative.message, "N is out of range"));
  BOOST_TEST(parse_error({"ensure", "3", "a", "b"}).message
             == "ensure: unexpected argument 'b'");
  BOOST_TEST(parse_error({"ensure", "3", ""}).message
             == "ensure: POOL must not be empty");
}

BOOST_AUTO_TEST_CASE(increase_and_decrease_default_to_one_on_default) {
  for (auto kind : {command_kind::increase, command_kind::decrease}) {
    std::string name = to_string(kind);
    auto bare = parse_ok({name});
    BOOST_TEST((bare.kind == kind));
    BOOST_TEST(bare.count == 1);
    BOOST_TEST(bare.pool == "default");
    auto n = parse_ok({name, "3"});
    BOOST_TEST(n.count == 3);
    BOOST_TEST(n.pool == "default");
    auto pool = parse_ok({name, "batch"});
    BOOST_TEST(pool.count == 1);
    BOOST_TEST(pool.pool == "batch");
    auto both = parse_ok({name, "2", "batch"});
    BOOST_TEST(both.count == 2);
    BOOST_TEST(both.pool == "batch");
    BOOST_TEST(parse_ok({name, "0"}).count == 0);
    BOOST_TEST(parse_error({name, "-1"}).message
               == name + ": N must be zero or more, got -1");
    BOOST_TEST(parse_error({name, "1.5"}).message
               == name + ": N must be an integer, got '1.5'");
    BOOST_TEST(parse_error({name, "x", "batch"}).message
               == name + ": N must be an integer, got 'x'");
    BOOST_TEST(parse_error({name, "1", "a", "b"}).message
               == name + ": unexpected argument 'b'");
    BOOST_TEST(contains(parse_error({name, "-1"}).usage,
                        "usage: " + name + " [N] [POOL] [--json]"));
  }
}

BOOST_AUTO_TEST_CASE(reboot_takes_an_optional_pool) {
  BOOST_TEST(parse_ok({"reboot"}).pool == "default");
  BOOST_TEST(parse_ok({"reboot", "batch"}).pool == "batch");
  BOOST_TEST(parse_error({"reboot", "a", "b"}).message
             == "reboot: unexpected argument 'b'");
  // Without options: the pool's default max_unavailable, no abort.
  auto plain = parse_ok({"reboot", "batch"});
  BOOST_TEST(plain.max_unavailable == "");
  BOOST_TEST(!plain.abort);
}

BOOST_AUTO_TEST_CASE(reboot_takes_max_unavailable_or_abort) {
  auto cmd = parse_ok({"reboot", "batch", "--max-unavailable", "2"});
  BOOST_TEST(cmd.pool == "batch");
  BOOST_TEST(cmd.max_unavailable == "2");
  BOOST_TEST(!cmd.abort);
  BOOST_TEST(parse_ok({"reboot", "--max-unavailable=25%"}).max_unavailable
             == "25%");
  BOOST_TEST(parse_ok({"reboot", "--max-unavailable", "100%"}).pool
             == "default");
  cmd = parse_ok({"reboot", "batch", "--abort", "--json"});
  BOOST_TEST(cmd.abort);
  BOOST_TEST(cmd.json);
  BOOST_TEST(cmd.max_unavailable == "");
  // Bad values are refused before the node is asked, in the node's words.
  for (auto bad : {"0", "101%", "x", "0%", "-1", "2.5", "%", ""}) {
    BOOST_TEST_CONTEXT(bad) {
      auto err = parse_error({"reboot", "batch", "--max-unavailable", bad});
      BOOST_TEST(err.message.rfind("reboot: --max-unavailable: expected a "
                                   "count of at least 1",
                                   0)
                   == 0u,
                 err.message);
      BOOST_TEST(err.usage.rfind("usage: reboot", 0) == 0u);
    }
  }
  BOOST_TEST(parse_error({"reboot", "--max-unavailable", "101%"}).message
             == "reboot: --max-unavailable: expected a count of at least 1 "
                "(\"2\") or a percentage from 1% to 100% (\"25%\"), got "
                "\"101%\"");
  BOOST_TEST(parse_error({"reboot", "--max-unavailable"}).message
             == "reboot: --max-unavailable needs a value");
  BOOST_TEST(parse_error({"reboot", "--abort=yes"}).message
             == "reboot: --abort takes no value");
  BOOST_TEST(
    parse_error({"reboot", "--abort", "--max-unavailable", "1"}).message
    == "reboot: --abort takes no --max-unavailable");
  // Terminal control bytes in a bad value are not echoed.
  auto err = parse_error({"reboot", "--max-unavailable", "\x1b[2J"});
  BOOST_TEST(err.message.find('\x1b') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(policy_commands_take_an_optional_pool) {
  for (auto kind :
       {command_kind::pause, command_kind::resume, command_kind::decisions}) {
    std::string name = to_string(kind);
    BOOST_TEST((parse_ok({name}).kind == kind));
    BOOST_TEST(parse_ok({name}).pool == "default");
    BOOST_TEST(parse_ok({name, "workers"}).pool == "workers");
    BOOST_TEST(parse_error({name, "a", "b"}).message
               == name + ": unexpected argument 'b'");
  }
  BOOST_TEST(parse_ok({"decisions"}).count == 20);
  BOOST_TEST(parse_ok({"decisions", "w", "--limit", "5"}).count == 5);
  BOOST_TEST(parse_ok({"decisions", "--limit=1000"}).count == 1000);
  for (auto bad : {"0", "1001", "x", "-1"})
    BOOST_TEST(parse_error({"decisions", "--limit", bad}).message
               == std::string{"decisions: --limit must be an integer from 1 "
                              "to 1000, got '"}
                    + bad + "'");
  BOOST_TEST(parse_error({"pause", "--limit", "3"}).message
             == "pause: unknown option '--limit'");
}

BOOST_AUTO_TEST_CASE(events_takes_pool_since_and_follow) {
  auto bare = parse_ok({"events"});
  BOOST_TEST((bare.kind == command_kind::events));
  BOOST_TEST(bare.pool.empty());
  BOOST_TEST(bare.since == 0u);
  BOOST_TEST(!bare.follow);
  auto all = parse_ok(
    {"events", "--pool", "batch", "--since=42", "--follow", "--json"});
  BOOST_TEST(all.pool == "batch");
  BOOST_TEST(all.since == 42u);
  BOOST_TEST(all.follow);
  BOOST_TEST(all.json);
  BOOST_TEST(parse_ok({"events", "--since", "18446744073709551615"}).since
             == UINT64_MAX);
  BOOST_TEST(contains(parse_error({"events", "--since", "-1"}).message,
                      "--since needs an event seq"));
  BOOST_TEST(
    contains(parse_error({"events", "--since", "x"}).message, "got 'x'"));
  BOOST_TEST(
    contains(parse_error({"events", "--since", "18446744073709551616"}).message,
             "--since needs an event seq"));
  BOOST_TEST(parse_error({"events", "--since"}).message
             == "events: --since needs a value");
  BOOST_TEST(parse_error({"events", "--follow=yes"}).message
             == "events: --follow takes no value");
  BOOST_TEST(parse_error({"events", "batch"}).message
             == "events: unexpected argument 'batch'");
  BOOST_TEST(parse_error({"events", "--pool="}).message
             == "events: --pool must not be empty");
}

BOOST_AUTO_TEST_CASE(help_takes_an_optional_command) {
  BOOST_TEST(parse_ok({"help"}).topic.empty());
  BOOST_TEST(parse_ok({"help", "ensure"}).topic == "ensure");
  BOOST_TEST(parse_ok({"help", "exit"}).topic == "quit");
  auto err = parse_error({"help", "ensrue"});
  BOOST_TEST(err.message
             == "help: no command 'ensrue'; did you mean 'ensure'?");
}

BOOST_AUTO_TEST_CASE(help_option_asks_for_the_commands_usage) {
  auto cmd = parse_ok({"ensure", "--help"});
  BOOST_TEST((cmd.kind == command_kind::help));
  BOOST_TEST(cmd.topic == "ensure");
  BOOST_TEST(parse_ok({"servers", "-h"}).topic == "servers");
}

BOOST_AUTO_TEST_CASE(oversized_arguments_are_usage_errors) {
  std::string big(max_argument_size + 1, 'x');
  BOOST_TEST(
    contains(parse_error({"server", big}).message, "argument too long"));
  BOOST_TEST(
    contains(parse_error({"ensure", big}).message, "argument too long"));
  std::string digits(5000, '9');
  BOOST_TEST(
    contains(parse_error({"ensure", digits}).message, "argument too long"));
  // Odd bytes are echoed escaped.
  auto err = parse_error({"ensure", "\x1b[31m"});
  BOOST_TEST(err.message == "ensure: N must be an integer, got '\\x1b[31m'");
}

BOOST_AUTO_TEST_CASE(unknown_commands_suggest_the_closest_one) {
  BOOST_TEST(parse_error({"statsu"}).message
             == "unknown command 'statsu'; did you mean 'status'?");
  BOOST_TEST(parse_error({"xyz"}).message
             == "unknown command 'xyz'; try 'help'");
  BOOST_TEST(parse_error({"statsu"}).usage.empty());
  BOOST_TEST(parse_error({""}).message == "unknown command ''; try 'help'");
}

BOOST_AUTO_TEST_CASE(every_command_has_a_usage) {
  for (const auto& name : command_names()) {
    auto kind = find_command(name);
    BOOST_TEST_REQUIRE(kind.has_value(), name);
    auto usage = usage_of(*kind);
    BOOST_TEST(usage.rfind("usage: " + name, 0) == 0u, name);
    BOOST_TEST(contains(commands_help(), "  " + name), name);
  }
  BOOST_TEST(!contains(usage_of(command_kind::help), "--json"));
  BOOST_TEST(contains(usage_of(command_kind::events),
                      "usage: events [--pool P] [--since SEQ] [--follow] "
                      "[--json]"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(suggestions)

BOOST_AUTO_TEST_CASE(edit_distance_counts_transpositions_once) {
  BOOST_TEST(edit_distance("", "") == 0u);
  BOOST_TEST(edit_distance("status", "status") == 0u);
  BOOST_TEST(edit_distance("statsu", "status") == 1u);
  BOOST_TEST(edit_distance("stop", "stoop") == 1u);
  BOOST_TEST(edit_distance("kitten", "sitting") == 3u);
  BOOST_TEST(edit_distance("", "abc") == 3u);
}

BOOST_AUTO_TEST_CASE(closest_command_picks_near_names_only) {
  auto guess = [](const char* word) {
    return closest_command(word).value_or("<none>");
  };
  BOOST_TEST(guess("statsu") == "status");
  BOOST_TEST(guess("stauts") == "status");
  BOOST_TEST(guess("STATUS") == "status");
  BOOST_TEST(guess("lim") == "limits");
  BOOST_TEST(guess("evnets") == "events");
  BOOST_TEST(guess("increse") == "increase");
  BOOST_TEST(guess("decrase") == "decrease");
  BOOST_TEST(guess("servr") == "server");
  BOOST_TEST(guess("serverz") == "servers"); // ties go to the first
  BOOST_TEST(guess("pool") == "pools");
  BOOST_TEST(guess("rebot") == "reboot");
  BOOST_TEST(guess("quti") == "quit");
  BOOST_TEST(guess("xyz") == "<none>");
  BOOST_TEST(guess("st") == "<none>");
  BOOST_TEST(guess("") == "<none>");
  BOOST_TEST(guess("completelydifferent") == "<none>");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(line_splitting)

BOOST_AUTO_TEST_CASE(blanks_separate_words) {
  auto res = split_line("  ensure   3\tbatch  ");
  BOOST_TEST_REQUIRE(std::holds_alternative<words>(res));
  BOOST_TEST((std::get<words>(res) == words{"ensure", "3", "batch"}));
  BOOST_TEST(std::get<words>(split_line("")).empty());
  BOOST_TEST(std::get<words>(split_line("   ")).empty());
}

BOOST_AUTO_TEST_CASE(quotes_escapes_and_comments) {
  auto res = split_line(R"(server "a b" 'c d' e\ f "x\"y" '' # comment)");
  BOOST_TEST_REQUIRE(std::holds_alternative<words>(res));
  BOOST_TEST(
    (std::get<words>(res) == words{"server", "a b", "c d", "e f", "x\"y", ""}));
  BOOST_TEST(std::get<words>(split_line("# only a comment")).empty());
  BOOST_TEST((std::get<words>(split_line("stop a#b")) == words{"stop", "a#b"}));
}

BOOST_AUTO_TEST_CASE(unterminated_quotes_are_errors) {
  auto dq = split_line("server \"abc");
  BOOST_TEST_REQUIRE(std::holds_alternative<usage_error>(dq));
  BOOST_TEST(std::get<usage_error>(dq).message == "unterminated \" quote");
  auto sq = split_line("server 'abc");
  BOOST_TEST_REQUIRE(std::holds_alternative<usage_error>(sq));
  BOOST_TEST(std::get<usage_error>(sq).message == "unterminated ' quote");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(command_line)

BOOST_AUTO_TEST_CASE(endpoints_are_host_colon_port) {
  auto ep = parse_endpoint("127.0.0.1:4242");
  BOOST_TEST_REQUIRE(ep.has_value());
  BOOST_TEST(ep->host == "127.0.0.1");
  BOOST_TEST(ep->port == 4242);
  auto v6 = parse_endpoint("[::1]:80");
  BOOST_TEST_REQUIRE(v6.has_value());
  BOOST_TEST(v6->host == "::1");
  BOOST_TEST(to_string(*v6) == "[::1]:80");
  auto bare = parse_endpoint("::1:4242"); // as the node writes admin.addr
  BOOST_TEST_REQUIRE(bare.has_value());
  BOOST_TEST(bare->host == "::1");
  BOOST_TEST(bare->port == 4242);
  BOOST_TEST(to_string(*parse_endpoint("node.example:65535"))
             == "node.example:65535");
  for (auto bad : {"", "host", ":4242", "host:", "host:0", "host:65536",
                   "host:12a", "[::1]4242", "[::1", "a b:1", "host:999999"})
    BOOST_TEST(!parse_endpoint(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(defaults) {
  auto opts = cli_ok({});
  BOOST_TEST(opts.connect.host == "127.0.0.1");
  BOOST_TEST(opts.connect.port == 4242);
  BOOST_TEST(opts.token_env == "DYNSERV_ADMIN_TOKEN");
  BOOST_TEST(opts.token_file.empty());
  BOOST_TEST(!opts.tls());
  BOOST_TEST(!opts.json);
  BOOST_TEST(opts.words.empty());
}

BOOST_AUTO_TEST_CASE(options_before_and_after_the_command) {
  auto opts = cli_ok({"--connect", "10.0.0.1:5000", "--token-env=MY_TOKEN",
                      "servers", "batch", "--status", "running", "--json"});
  BOOST_TEST(opts.connect.host == "10.0.0.1");
  BOOST_TEST(opts.connect.port == 5000);
  BOOST_TEST(opts.token_env == "MY_TOKEN");
  BOOST_TEST(opts.json);
  BOOST_TEST((opts.words == words{"servers", "batch", "--status", "running"}));
  auto later
    = cli_ok({"status", "--connect=127.0.0.1:1", "--token-file", "/tmp/t"});
  BOOST_TEST(later.connect.port == 1);
  BOOST_TEST(later.token_file == "/tmp/t");
  BOOST_TEST((later.words == words{"status"}));
}

BOOST_AUTO_TEST_CASE(help_after_the_command_belongs_to_the_command) {
  BOOST_TEST(cli_ok({"--help"}).help);
  BOOST_TEST(cli_ok({"-h"}).help);
  BOOST_TEST(cli_ok({"--version"}).version);
  auto opts = cli_ok({"ensure", "--help"});
  BOOST_TEST(!opts.help);
  BOOST_TEST((opts.words == words{"ensure", "--help"}));
}

BOOST_AUTO_TEST_CASE(double_dash_ends_the_options) {
  auto opts = cli_ok({"server", "--", "--json"});
  BOOST_TEST(!opts.json);
  BOOST_TEST((opts.words == words{"server", "--", "--json"}));
  BOOST_TEST(parse_ok(opts.words).server_id == "--json");
}

BOOST_AUTO_TEST_CASE(negative_numbers_are_arguments) {
  auto opts = cli_ok({"ensure", "-3"});
  BOOST_TEST((opts.words == words{"ensure", "-3"}));
}

BOOST_AUTO_TEST_CASE(bad_command_lines) {
  BOOST_TEST(cli_error({"--bogus"}).message == "unknown option '--bogus'");
  BOOST_TEST(cli_error({"--connect"}).message == "--connect needs a value");
  BOOST_TEST(cli_error({"--connect", "nope"})
               .message.rfind("--connect expects HOST:PORT", 0)
             == 0u);
  BOOST_TEST(cli_error({"--token-env", "1BAD"})
               .message.rfind("--token-env expects a variable name", 0)
             == 0u);
  BOOST_TEST(cli_error({"--token-env", "A", "--token-file", "f"}).message
             == "use --token-env or --token-file, not both");
  BOOST_TEST(cli_error({"--json=1"}).message == "--json takes no value");
  BOOST_TEST(cli_error({"--token-file="}).message
             == "--token-file must not be empty");
}

BOOST_AUTO_TEST_CASE(a_token_on_the_command_line_is_refused_unechoed) {
  for (const auto& args : {words{"--token", "s3cr3t-value", "status"},
                           words{"--token=s3cr3t-value", "status"},
                           words{"status", "--token=s3cr3t-value"}}) {
    auto err = cli_error(args);
    BOOST_TEST(contains(err.message, "there is no --token option"));
    BOOST_TEST(!contains(err.message, "s3cr3t"));
  }
}

BOOST_AUTO_TEST_CASE(tls_needs_a_certificate_and_its_key) {
  auto opts = cli_ok(
    {"--tls-ca", "ca.pem", "--tls-cert", "c.pem", "--tls-key", "c.key"});
  BOOST_TEST(opts.tls());
  BOOST_TEST(opts.tls_ca == "ca.pem");
  BOOST_TEST(opts.tls_cert == "c.pem");
  BOOST_TEST(opts.tls_key == "c.key");
  BOOST_TEST(cli_ok({"--tls-cert", "c.pem", "--tls-key", "c.key"}).tls());
  for (const auto& args :
       {words{"--tls-ca", "ca.pem"}, words{"--tls-cert", "c.pem"},
        words{"--tls-key", "c.key"},
        words{"--tls-ca", "ca.pem", "--tls-key", "k"}})
    BOOST_TEST(cli_error(args).message.rfind("TLS needs --tls-cert", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(usage_lists_options_commands_and_exit_codes) {
  auto text = cli_usage();
  for (auto x :
       {"--connect HOST:PORT", "--token-env NAME", "--token-file", "--tls-ca",
        "--tls-cert", "--tls-key", "--json", "exit codes: 0 ok"})
    BOOST_TEST(contains(text, x), x);
  for (const auto& name : command_names())
    BOOST_TEST(contains(text, "  " + name), name);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(completion)

namespace {

completion_data sample() {
  return {{"batch", "default"}, {"4d90176b", "6069ddf0"}};
}

} // namespace

BOOST_AUTO_TEST_CASE(first_word_completes_commands) {
  BOOST_TEST((complete("", sample()).size() == command_names().size()));
  BOOST_TEST((complete("st", sample()) == words{"status", "stop"}));
  BOOST_TEST((complete("serv", sample()) == words{"server", "servers"}));
  BOOST_TEST(complete("zzz", sample()).empty());
}

BOOST_AUTO_TEST_CASE(pool_arguments_complete_pool_names) {
  BOOST_TEST((complete("servers ", sample()) == words{"batch", "default"}));
  BOOST_TEST((complete("servers b", sample()) == words{"batch"}));
  BOOST_TEST((complete("reboot d", sample()) == words{"default"}));
  BOOST_TEST((complete("pause b", sample()) == words{"batch"}));
  BOOST_TEST((complete("decisions ", sample()) == words{"batch", "default"}));
  BOOST_TEST((complete("decisions --l", sample()) == words{"--limit"}));
  BOOST_TEST((complete("increase ", sample()) == words{"batch", "default"}));
  BOOST_TEST((complete("decrease 2 ", sample()) == words{"batch", "default"}));
  BOOST_TEST(complete("ensure ", sample()).empty()); // N first
  BOOST_TEST((complete("ensure 3 ", sample()) == words{"batch", "default"}));
  BOOST_TEST(complete("ensure 3 batch ", sample()).empty());
  BOOST_TEST(
    (complete("events --pool ", sample()) == words{"batch", "default"}));
}

BOOST_AUTO_TEST_CASE(reboot_options_complete) {
  BOOST_TEST((complete("reboot batch --", sample())
              == words{"--abort", "--help", "--json", "--max-unavailable"}));
  BOOST_TEST((complete("reboot --a", sample()) == words{"--abort"}));
  BOOST_TEST((complete("reboot batch --max-unavailable 2", sample())
              == words{"2", "25%"}));
  BOOST_TEST((complete("reboot --max-unavailable=1", sample())
              == words{"--max-unavailable=1", "--max-unavailable=10%",
                       "--max-unavailable=100%"}));
  // After the option's value, the pool still completes.
  BOOST_TEST((complete("reboot --max-unavailable 1 ", sample())
              == words{"batch", "default"}));
}

BOOST_AUTO_TEST_CASE(ids_statuses_options_and_topics) {
  BOOST_TEST((complete("stop 4d", sample()) == words{"4d90176b"}));
  BOOST_TEST((complete("server ", sample()) == words{"4d90176b", "6069ddf0"}));
  BOOST_TEST((complete("servers --status r", sample())
              == words{"rebooting", "running"}));
  BOOST_TEST(
    (complete("servers --status=ru", sample()) == words{"--status=running"}));
  BOOST_TEST(
    (complete("servers batch --status run", sample()) == words{"running"}));
  BOOST_TEST((complete("events --", sample())
              == words{"--follow", "--help", "--json", "--pool", "--since"}));
  BOOST_TEST((complete("help en", sample()) == words{"ensure"}));
  BOOST_TEST(complete("limits ", sample()).empty());
  BOOST_TEST((complete("web", sample()) == words{"webhooks"}));
  BOOST_TEST(complete("webhooks ", sample()).empty());
  BOOST_TEST((complete("webhooks --", sample()) == words{"--help", "--json"}));
  BOOST_TEST(complete("bogus ", sample()).empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(printing_user_input)

BOOST_AUTO_TEST_CASE(printable_escapes_and_cuts) {
  BOOST_TEST(printable("plain") == "plain");
  BOOST_TEST(printable("a\nb\x1b") == "a\\x0ab\\x1b");
  BOOST_TEST(printable("\xff") == "\\xff");
  BOOST_TEST(printable(std::string(100, 'x'), 10) == "xxxxxxxxxx...");
}

BOOST_AUTO_TEST_SUITE_END()
