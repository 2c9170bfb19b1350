// Tests of the exec provider: a full lifecycle with the example script, and
// every way a command can misbehave.
#include "providers/exec_provider.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <fstream>

#include <unistd.h> // access

#include "providers/cloud_providers.hpp"
#include "tests/fixtures/temp_dir.hpp"
#include "tests/providers/provider_test_util.hpp"

using namespace dynserv;
using namespace dynserv::test;
using namespace std::chrono_literals;

namespace {

const std::string script_path = std::string{DYNSERV_SOURCE_DIR}
                                + "/examples/exec-provider/file-cloud.py";

/// The Debian interpreter that tools/setup.sh installs; a version manager's
/// shim in PATH would only add start-up time.
std::string python() {
  return ::access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3"
                                                 : "python3";
}

/// A provider running `sh -c <code>`.
exec_provider shell(const std::string& code, millis timeout = 10s) {
  exec_options opts;
  opts.command = {"/bin/sh", "-c", code};
  opts.timeout = timeout;
  return exec_provider{opts};
}

/// The example cloud on a clock kept in a file.
struct file_cloud {
  temp_dir dir{"dynserv-exec"};
  std::string clock_file = dir.path + "/now";
  int64_t now = t0;
  std::unique_ptr<provider> cloud;

  file_cloud() {
    set_clock(now);
    exec_options opts;
    opts.command = {python(), script_path};
    opts.timeout = 30s;
    opts.env = {{"FILE_CLOUD_DIR", dir.path + "/inventory"},
                {"FILE_CLOUD_NOW_MS_FILE", clock_file},
                {"FILE_CLOUD_CREATE_S", "3"},
                {"FILE_CLOUD_STOP_S", "1"},
                {"FILE_CLOUD_REBOOT_S", "2"},
                {"FILE_CLOUD_DELETE_S", "1"}};
    cloud = make_exec_provider(opts);
  }

  void set_clock(int64_t x) {
    now = x;
    std::ofstream out{clock_file, std::ios::trunc};
    out << now << '\n';
  }

  void advance(int64_t ms) {
    set_clock(now + ms);
  }

  cloud_state state_of(const std::string& id) {
    auto reply = cloud->get(id);
    BOOST_REQUIRE_MESSAGE(reply.ok(),
                          reply.error.code << ": " << reply.error.message);
    BOOST_REQUIRE_EQUAL(reply.servers.size(), 1u);
    return reply.servers[0].state;
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(exec)

BOOST_AUTO_TEST_CASE(full_lifecycle_with_the_example_script) {
  file_cloud fc;
  auto& cloud = *fc.cloud;
  BOOST_CHECK_EQUAL(cloud.type_name(), "exec");
  auto reply = cloud.create(make_create(R"({"size":"small"})"));
  BOOST_REQUIRE_MESSAGE(reply.ok(),
                        reply.error.code << ": " << reply.error.message);
  BOOST_CHECK_EQUAL(reply.requests, 1u);
  BOOST_REQUIRE_EQUAL(reply.servers.size(), 1u);
  auto id = reply.servers[0].provider_id;
  BOOST_CHECK(reply.servers[0].state == cloud_state::provisioning);
  BOOST_CHECK_EQUAL(reply.servers[0].name, "node1-web-0b8f7c1e");
  BOOST_CHECK(reply.servers[0].labels == standard_labels());
  BOOST_CHECK_EQUAL(reply.servers[0].created_at_ms, t0);
  fc.advance(2999);
  BOOST_CHECK(fc.state_of(id) == cloud_state::provisioning);
  fc.advance(1);
  BOOST_CHECK(fc.state_of(id) == cloud_state::running);
  // Lists filter by labels.
  reply = cloud.list({{labels::owner, "node1"}});
  BOOST_REQUIRE(reply.ok());
  BOOST_REQUIRE_EQUAL(reply.servers.size(), 1u);
  BOOST_CHECK_EQUAL(reply.servers[0].provider_id, id);
  reply = cloud.list({{labels::owner, "someone-else"}});
  BOOST_REQUIRE(reply.ok());
  BOOST_CHECK(reply.servers.empty());
  // Reboot.
  BOOST_REQUIRE(cloud.reboot(id).ok());
  BOOST_CHECK(fc.state_of(id) == cloud_state::rebooting);
  fc.advance(2000);
  BOOST_CHECK(fc.state_of(id) == cloud_state::running);
  // Start while running is a conflict.
  reply = cloud.start(id);
  BOOST_CHECK(reply.error.kind == error_kind::conflict);
  BOOST_CHECK_EQUAL(reply.error.code, "state_illegal");
  // Stop, start, stop again, delete.
  BOOST_REQUIRE(cloud.stop(id).ok());
  BOOST_CHECK(fc.state_of(id) == cloud_state::stopping);
  BOOST_CHECK(cloud.destroy(id).error.kind == error_kind::conflict);
  fc.advance(1000);
  BOOST_CHECK(fc.state_of(id) == cloud_state::stopped);
  BOOST_REQUIRE(cloud.start(id).ok());
  BOOST_CHECK(fc.state_of(id) == cloud_state::provisioning);
  fc.advance(2000);
  BOOST_CHECK(fc.state_of(id) == cloud_state::running);
  BOOST_REQUIRE(cloud.stop(id).ok());
  fc.advance(1000);
  BOOST_REQUIRE(cloud.destroy(id).ok());
  BOOST_CHECK(fc.state_of(id) == cloud_state::deleting);
  fc.advance(1000);
  reply = cloud.get(id);
  BOOST_CHECK(reply.error.kind == error_kind::not_found);
  BOOST_CHECK(cloud.destroy(id).error.kind == error_kind::not_found);
  reply = cloud.list({});
  BOOST_REQUIRE(reply.ok());
  BOOST_CHECK(reply.servers.empty());
}

BOOST_AUTO_TEST_CASE(the_request_arrives_on_stdin_and_env_is_set) {
  exec_options opts;
  opts.command = {python(), "-c",
                  "import json, os, sys\n"
                  "r = json.load(sys.stdin)\n"
                  "print(json.dumps({'servers': [{'provider_id': "
                  "r['provider_id'] + '-' + r['op'] + '-' + os.environ['MARK'],"
                  " 'state': 'running'}]}))\n"};
  opts.env = {{"MARK", "m1"}};
  exec_provider p{opts};
  auto reply = p.get("p1");
  BOOST_REQUIRE_MESSAGE(reply.ok(), reply.error.message);
  BOOST_CHECK_EQUAL(reply.servers.at(0).provider_id, "p1-get-m1");
  // raw_state defaults to the state word.
  BOOST_CHECK_EQUAL(reply.servers.at(0).raw_state, "running");
  reply = p.destroy("p2");
  BOOST_REQUIRE(reply.ok());
  BOOST_CHECK_EQUAL(reply.servers.at(0).provider_id, "p2-delete-m1");
}

BOOST_AUTO_TEST_CASE(create_requests_carry_everything) {
  temp_dir dir{"dynserv-exec"};
  exec_options opts;
  opts.command = {"/bin/sh", "-c",
                  "cat > \"$OUT\"; echo "
                  "'{\"servers\":[{\"provider_id\":\"x\",\"state\":"
                  "\"provisioning\"}]}'"};
  opts.env = {{"OUT", dir.path + "/req.json"}};
  exec_provider p{opts};
  BOOST_REQUIRE(p.create(make_create(R"({"size":"small","n":[1,2]})")).ok());
  std::ifstream in{dir.path + "/req.json"};
  std::string text{std::istreambuf_iterator<char>{in}, {}};
  auto doc = parse_json_or_fail(text);
  BOOST_CHECK_EQUAL(doc["op"].GetString(), std::string{"create"});
  const auto& r = doc["request"];
  BOOST_CHECK_EQUAL(r["server_id"].GetString(),
                    std::string{"0b8f7c1e-1111-4222-8333-444455556666"});
  BOOST_CHECK_EQUAL(r["name"].GetString(), std::string{"node1-web-0b8f7c1e"});
  BOOST_CHECK_EQUAL(r["pool"].GetString(), std::string{"web"});
  BOOST_CHECK_EQUAL(r["labels"]["dynserv-owner"].GetString(),
                    std::string{"node1"});
  BOOST_CHECK_EQUAL(r["spec"]["size"].GetString(), std::string{"small"});
  BOOST_CHECK_EQUAL(r["spec"]["n"][1].GetInt(), 2);
  // A spec that is not an object never reaches the command.
  auto reply = p.create(make_create("[1]"));
  BOOST_CHECK(reply.error.kind == error_kind::permanent);
  BOOST_CHECK_EQUAL(reply.error.code, "invalid_spec");
}

BOOST_AUTO_TEST_CASE(error_answers_are_mapped) {
  struct row {
    const char* kind;
    error_kind expected;
  };
  row rows[] = {{"transient", error_kind::transient},
                {"rate_limited", error_kind::rate_limited},
                {"conflict", error_kind::conflict},
                {"not_found", error_kind::not_found},
                {"outcome_unknown", error_kind::outcome_unknown},
                {"permanent", error_kind::permanent}};
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.kind) {
      auto p = shell(std::string{"echo '{\"error\":{\"kind\":\""} + r.kind
                     + "\",\"code\":\"c1\",\"message\":\"m1\","
                       "\"retry_after_ms\":1500}}'");
      auto reply = p.stop("x");
      BOOST_CHECK(reply.error.kind == r.expected);
      BOOST_CHECK_EQUAL(reply.error.code, "c1");
      BOOST_CHECK_EQUAL(reply.error.message, "m1");
      BOOST_CHECK_EQUAL(reply.error.retry_after_ms, 1500);
    }
  }
}

BOOST_AUTO_TEST_CASE(bad_output_is_reported_with_an_excerpt) {
  struct row {
    std::string output;
    std::string says;
  };
  std::vector<row> rows = {
    {"hello world", "not JSON"},
    {"", "no output"},
    {"[1,2]", "not a JSON object"},
    {"{}", "neither \"servers\" nor \"error\""},
    {R"({"servers":{}})", "\"servers\" is not a list"},
    {R"({"servers":[7]})", "servers[0] is not an object"},
    {R"({"servers":[{"state":"running"}]})", "servers[0].provider_id"},
    {R"({"servers":[{"provider_id":"a","state":"flying"}]})",
     "servers[0].state \"flying\" is unknown"},
    {R"({"servers":[{"provider_id":"a","state":"running","labels":[]}]})",
     "servers[0].labels is not an object"},
    {R"({"servers":[{"provider_id":"a","state":"running","labels":{"k":1}}]})",
     "labels values must be strings"},
    {R"({"servers":[{"provider_id":"a","state":"running","created_at_ms":"1"}]})",
     "created_at_ms is not an integer"},
    {R"({"servers":[]})", "expected exactly one server, got 0"},
    {R"({"error":{"kind":"fatal"}})", "error.kind \"fatal\" is not one of"},
    {R"({"error":"boom"})", "\"error\" is not an object"},
    {R"({"error":{"kind":"transient","retry_after_ms":-5}})",
     "retry_after_ms must be a non-negative integer"},
    {std::string(5000, 'x'), "not JSON"},
  };
  temp_dir dir{"dynserv-exec"};
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.output.substr(0, 80)) {
      {
        std::ofstream out{dir.path + "/out", std::ios::trunc};
        out << r.output;
      }
      exec_options opts;
      opts.command = {"cat", dir.path + "/out"};
      exec_provider p{opts};
      auto reply = p.get("x");
      BOOST_CHECK(reply.error.kind == error_kind::transient);
      BOOST_CHECK_EQUAL(reply.error.code, "bad_output");
      BOOST_CHECK_MESSAGE(reply.error.message.find(r.says) != std::string::npos,
                          reply.error.message);
      BOOST_CHECK(reply.servers.empty());
      // The output is quoted, but only its beginning.
      BOOST_CHECK_LT(reply.error.message.size(), 600u);
      // A create that answered nonsense may still have happened.
      BOOST_CHECK(p.create(make_create("{}")).error.kind
                  == error_kind::outcome_unknown);
    }
  }
}

BOOST_AUTO_TEST_CASE(timeouts_kill_the_whole_process_group) {
  auto p = shell("sleep 300 & sleep 300", 300ms);
  auto start = std::chrono::steady_clock::now();
  auto reply = p.get("x");
  auto took = std::chrono::steady_clock::now() - start;
  BOOST_CHECK(reply.error.kind == error_kind::transient);
  BOOST_CHECK_EQUAL(reply.error.code, "timeout");
  // The background sleep holds stdout open: only killing the group ends
  // the call this early.
  BOOST_CHECK(took < 120s);
  auto create = shell("sleep 30", 200ms).create(make_create("{}"));
  BOOST_CHECK(create.error.kind == error_kind::outcome_unknown);
  BOOST_CHECK_EQUAL(create.error.code, "timeout");
}

BOOST_AUTO_TEST_CASE(non_zero_exits_quote_the_first_stderr_line) {
  auto p = shell(
    "echo; echo 'boom: disk full' >&2; L=line; echo \"second $L\" >&2;"
    " exit 3");
  auto reply = p.reboot("x");
  BOOST_CHECK(reply.error.kind == error_kind::transient);
  BOOST_CHECK_EQUAL(reply.error.code, "exit_status");
  BOOST_CHECK_NE(reply.error.message.find("exited with status 3: boom: disk "
                                          "full"),
                 std::string::npos);
  BOOST_CHECK_EQUAL(reply.error.message.find("second line"), std::string::npos);
  // Long stderr lines are cut.
  p = shell("head -c 100000 /dev/zero | tr '\\0' 'e' >&2; exit 1");
  reply = p.get("x");
  BOOST_CHECK_EQUAL(reply.error.code, "exit_status");
  BOOST_CHECK_LT(reply.error.message.size(), 600u);
  // Signals count as failures too.
  p = shell("kill -9 $$");
  reply = p.get("x");
  BOOST_CHECK_EQUAL(reply.error.code, "exit_status");
  BOOST_CHECK_NE(reply.error.message.find("signal 9"), std::string::npos);
  BOOST_CHECK(shell("exit 1").create(make_create("{}")).error.kind
              == error_kind::outcome_unknown);
}

BOOST_AUTO_TEST_CASE(missing_commands_are_permanent) {
  for (auto cmd : {"/nonexistent/dynserv-cloud", "dynserv-no-such-command"}) {
    BOOST_TEST_CONTEXT(cmd) {
      exec_options opts;
      opts.command = {cmd};
      exec_provider p{opts};
      auto reply = p.create(make_create("{}"));
      BOOST_CHECK(reply.error.kind == error_kind::permanent);
      BOOST_CHECK_EQUAL(reply.error.code, "command_not_found");
      BOOST_CHECK_NE(reply.error.message.find(cmd), std::string::npos);
    }
  }
  exec_provider none{exec_options{}};
  BOOST_CHECK(none.get("x").error.kind == error_kind::permanent);
}

BOOST_AUTO_TEST_CASE(full_pipes_never_block) {
  // A command that ignores a large request and writes a lot to both pipes.
  auto p = shell("head -c 300000 /dev/zero | tr '\\0' 'x' >&2;"
                 " printf '{\"servers\":[{\"provider_id\":\"a\","
                 "\"state\":\"running\"}]}'");
  auto big = make_create("{\"blob\":\"" + std::string(2'000'000, 'b') + "\"}");
  auto reply = p.create(big);
  BOOST_REQUIRE_MESSAGE(reply.ok(), reply.error.message);
  BOOST_CHECK_EQUAL(reply.servers.at(0).provider_id, "a");
  // A command that closes stdin at once does not kill us with SIGPIPE.
  reply = shell("exec 0<&-; sleep 0.1; echo '{\"servers\":[]}'").create(big);
  BOOST_CHECK_EQUAL(reply.error.code, "bad_output");
  // Output beyond the limit is cut off.
  reply = shell("head -c 20000000 /dev/zero", 30s).get("x");
  BOOST_CHECK_EQUAL(reply.error.code, "bad_output");
  BOOST_CHECK_NE(reply.error.message.find("more than"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(sloppy_lists_are_filtered) {
  auto p = shell("echo '{\"servers\":[{\"provider_id\":\"a\",\"state\":"
                 "\"running\",\"labels\":{\"dynserv-owner\":\"node1\"}},"
                 "{\"provider_id\":\"b\",\"state\":\"running\"}]}'");
  auto reply = p.list({{labels::owner, "node1"}});
  BOOST_REQUIRE(reply.ok());
  BOOST_REQUIRE_EQUAL(reply.servers.size(), 1u);
  BOOST_CHECK_EQUAL(reply.servers[0].provider_id, "a");
}

BOOST_AUTO_TEST_CASE(spec_validation_only_wants_an_object) {
  BOOST_CHECK(validate_server_spec("exec", R"({"anything":[1]})").empty());
  BOOST_CHECK(validate_server_spec("exec", "").empty());
  BOOST_CHECK_EQUAL(validate_server_spec("exec", "7").size(), 1u);
}

BOOST_AUTO_TEST_SUITE_END()
