// Tests of the DigitalOcean provider against a scripted transport: tags as
// labels, pagination, eventual consistency after create, stop fallback,
// errors.
#include "providers/digitalocean_provider.hpp"

#include <boost/test/unit_test.hpp>

#include "providers/cloud_providers.hpp"
#include "providers/http_provider_support.hpp"
#include "tests/providers/provider_test_util.hpp"

using namespace dynserv;
using namespace dynserv::test;
using namespace std::chrono_literals;
using dynserv::http_support::action_read_interval_ms;

namespace {

constexpr const char* spec = R"({
  "region": "fra1", "size": "s-1vcpu-1gb", "image": "debian-12-x64",
  "ssh_keys": [512190, "3b:16:bf"], "user_data": "#cloud-config",
  "monitoring": true, "tags": ["workers"], "labels": {"team": "a.b"}
})";

const std::string our_tags
  = R"("dynserv-id:0b8f7c1e-1111-4222-8333-444455556666",)"
    R"("dynserv-owner:node1","dynserv-pool:web")";

std::string droplet_json(int64_t id, const std::string& status,
                         const std::string& tags = our_tags) {
  return R"({"id":)" + std::to_string(id)
         + R"(,"name":"node1-web-0b8f7c1e","status":")" + status
         + R"(","locked":false,"created_at":"2023-11-14T22:13:20Z",)"
           R"("memory":1024,"region":{"slug":"fra1"},"tags":[)"
         + tags + "]}";
}

std::string wrapped(int64_t id, const std::string& status) {
  return R"({"droplet":)" + droplet_json(id, status) + "}";
}

std::string action_json(int64_t id, const std::string& status,
                        const std::string& type = "shutdown") {
  return R"({"action":{"id":)" + std::to_string(id) + R"(,"status":")" + status
         + R"(","type":")" + type
         + R"(","resource_id":7,"resource_type":"droplet"}})";
}

struct fixture {
  std::shared_ptr<http_script> script = std::make_shared<http_script>();
  manual_clock clock;
  digitalocean_options opts;
  std::unique_ptr<digitalocean_provider> cloud;

  fixture() {
    opts.api.token = "do-token";
    opts.stop_timeout = 60s;
    cloud = std::make_unique<digitalocean_provider>(
      opts, make_scripted_transport(script), clock.fn());
  }
};

provider_factory factory = [](std::shared_ptr<http_script> script,
                              manual_clock& clock) -> provider_ptr {
  digitalocean_options opts;
  opts.api.token = "t";
  return std::make_unique<digitalocean_provider>(
    opts, make_scripted_transport(std::move(script)), clock.fn());
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(digitalocean, fixture)

BOOST_AUTO_TEST_CASE(tags_carry_labels_reversibly) {
  struct row {
    std::string key;
    std::string value;
    std::string tag;
  };
  std::vector<row> rows = {
    {"dynserv-owner", "node1", "dynserv-owner:node1"},
    {"dynserv-id", "0b8f7c1e-1111-4222-8333-444455556666",
     "dynserv-id:0b8f7c1e-1111-4222-8333-444455556666"},
    {"team", "a.b c", "team:a_2Eb_20c"},
    {"k_y", "v:w", "k_5Fy:v_3Aw"},
    {"empty", "", "empty:"},
    {"utf8", "\xc3\xa4", "utf8:_C3_A4"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.tag) {
      BOOST_CHECK_EQUAL(encode_digitalocean_tag(r.key, r.value), r.tag);
      auto back = decode_digitalocean_tag(r.tag);
      BOOST_REQUIRE(back);
      BOOST_CHECK_EQUAL(back->first, r.key);
      BOOST_CHECK_EQUAL(back->second, r.value);
    }
  }
  for (auto other : {"workers", ":x", "a:b_zz", "a:b_4", "a:b_4a", "a:b.c"})
    BOOST_CHECK_MESSAGE(!decode_digitalocean_tag(other), other);
}

BOOST_AUTO_TEST_CASE(create_sends_labels_as_tags) {
  script->expect(
    "POST", "/droplets", 202,
    R"({"droplet":)" + droplet_json(7, "new")
      + R"(,"links":{"actions":[{"id":36805096,"rel":"create",)"
        R"("href":"https://api.digitalocean.com/v2/actions/36805096"}]}})");
  auto reply = cloud->create(make_create(spec));
  BOOST_REQUIRE_MESSAGE(reply.ok(), reply.error.message);
  BOOST_CHECK_EQUAL(reply.requests, 1u);
  auto& srv = reply.servers.at(0);
  BOOST_CHECK_EQUAL(srv.provider_id, "7");
  BOOST_CHECK(srv.state == cloud_state::provisioning);
  BOOST_CHECK_EQUAL(srv.created_at_ms, t0);
  BOOST_CHECK(srv.labels == standard_labels());
  const auto& req = script->last();
  BOOST_CHECK_EQUAL(header_of(req, "Authorization"), "Bearer do-token");
  BOOST_CHECK_EQUAL(header_of(req, "Content-Type"), "application/json");
  auto doc = parse_json_or_fail(req.body);
  BOOST_CHECK_EQUAL(doc["name"].GetString(), std::string{"node1-web-0b8f7c1e"});
  BOOST_CHECK_EQUAL(doc["region"].GetString(), std::string{"fra1"});
  BOOST_CHECK_EQUAL(doc["size"].GetString(), std::string{"s-1vcpu-1gb"});
  BOOST_CHECK_EQUAL(doc["image"].GetString(), std::string{"debian-12-x64"});
  BOOST_CHECK_EQUAL(doc["ssh_keys"][0].GetInt(), 512190);
  BOOST_CHECK(doc["monitoring"].GetBool());
  BOOST_CHECK(!doc.HasMember("labels"));
  std::vector<std::string> tags;
  for (const auto& t : doc["tags"].GetArray())
    tags.emplace_back(t.GetString());
  std::vector<std::string> expected
    = {"workers", "dynserv-id:0b8f7c1e-1111-4222-8333-444455556666",
       "dynserv-owner:node1", "dynserv-pool:web", "team:a_2Eb"};
  BOOST_CHECK_EQUAL_COLLECTIONS(tags.begin(), tags.end(), expected.begin(),
                                expected.end());
  // The create action is followed on reads.
  script->expect("GET", "/droplets/7", 200, wrapped(7, "new"));
  script->expect("GET", "/actions/36805096", 200,
                 action_json(36805096, "completed", "create"));
  BOOST_CHECK_EQUAL(cloud->get("7").requests, 2u);
  script->expect("GET", "/droplets/7", 200, wrapped(7, "active"));
  BOOST_CHECK_EQUAL(cloud->get("7").requests, 1u);
}

BOOST_AUTO_TEST_CASE(an_errored_create_action_reads_as_failed) {
  script->answer(202, R"({"droplet":)" + droplet_json(7, "new")
                        + R"(,"links":{"actions":[{"id":5,"rel":"create"}]}})");
  BOOST_REQUIRE(cloud->create(make_create(spec)).ok());
  script->expect("GET", "/droplets/7", 200, wrapped(7, "new"));
  script->expect("GET", "/actions/5", 200, action_json(5, "errored", "create"));
  auto reply = cloud->get("7");
  BOOST_REQUIRE(reply.ok());
  const auto& srv = reply.servers.at(0);
  BOOST_CHECK(srv.state == cloud_state::failed);
  // DigitalOcean's action carries no error object: its status is the code.
  BOOST_CHECK(srv.failure.kind == error_kind::permanent);
  BOOST_CHECK_EQUAL(srv.failure.code, "errored");
  BOOST_CHECK_EQUAL(srv.failure.message,
                    "create action 5 of droplet 7 errored");
  BOOST_CHECK_EQUAL(srv.raw_state,
                    "action_failed: errored: create action 5 of droplet 7 "
                    "errored");
  // Sticky: later reads say failed without reading the action again.
  script->expect("GET", "/droplets/7", 200, wrapped(7, "new"));
  reply = cloud->get("7");
  BOOST_CHECK_EQUAL(reply.requests, 1u);
  BOOST_CHECK(reply.servers.at(0).state == cloud_state::failed);
  BOOST_CHECK_EQUAL(reply.servers.at(0).failure.code, "errored");
}

BOOST_AUTO_TEST_CASE(a_fresh_droplet_that_reads_404_is_provisioning) {
  script->answer(202, R"({"droplet":)" + droplet_json(7, "new") + "}");
  BOOST_REQUIRE(cloud->create(make_create(spec)).ok());
  const std::string not_found
    = R"({"id":"not_found","message":"The resource you were accessing could not be found."})";
  clock.now += 5000;
  script->expect("GET", "/droplets/7", 404, not_found);
  auto reply = cloud->get("7");
  BOOST_REQUIRE_MESSAGE(reply.ok(), reply.error.message);
  BOOST_CHECK(reply.servers.at(0).state == cloud_state::provisioning);
  BOOST_CHECK(reply.servers.at(0).labels == standard_labels());
  BOOST_CHECK_EQUAL(reply.requests, 1u);
  // After the grace time a 404 means what it says.
  clock.now += 60'000;
  script->expect("GET", "/droplets/7", 404, not_found);
  BOOST_CHECK(cloud->get("7").error.kind == error_kind::not_found);
  // And for droplets this provider did not create, at once.
  script->expect("GET", "/droplets/8", 404, not_found);
  BOOST_CHECK(cloud->get("8").error.kind == error_kind::not_found);
  // Once seen, the grace ends too.
  script->answer(202, R"({"droplet":)" + droplet_json(9, "new") + "}");
  BOOST_REQUIRE(cloud->create(make_create(spec)).ok());
  script->answer(200, R"({"droplet":)" + droplet_json(9, "active") + "}");
  BOOST_REQUIRE(cloud->get("9").ok());
  script->answer(404, not_found);
  BOOST_CHECK(cloud->get("9").error.kind == error_kind::not_found);
}

BOOST_AUTO_TEST_CASE(list_follows_links_and_filters_labels) {
  const std::string base = "/droplets?tag_name=dynserv-owner%3Anode1"
                           "&per_page=200&page=";
  auto next = [](int n) {
    return R"("https://api.digitalocean.com/v2/droplets?page=)"
           + std::to_string(n)
           + R"(&per_page=200&tag_name=dynserv-owner%3Anode1")";
  };
  auto page = [](const std::string& items, const std::string& next_url) {
    return R"({"droplets":[)" + items + R"(],"links":{"pages":{)"
           + (next_url.empty() ? std::string{} : R"("next":)" + next_url)
           + R"(}},"meta":{"total":5}})";
  };
  auto other_pool = droplet_json(
    99, "active", R"("dynserv-owner:node1","dynserv-pool:batch")");
  http_headers budget = {{"ratelimit-limit", "5000"},
                         {"ratelimit-remaining", "4990"},
                         {"ratelimit-reset", "1700000300"}};
  script->expect("GET", base + "1", 200,
                 page(droplet_json(1, "active") + "," + other_pool, next(2)));
  script->expect("GET", base + "2", 200,
                 page(droplet_json(2, "active"), next(3)));
  script->expect("GET", base + "3", 200, page(droplet_json(3, "off"), ""),
                 budget);
  auto reply = cloud->list({{labels::owner, "node1"}, {labels::pool, "web"}});
  BOOST_REQUIRE_MESSAGE(reply.ok(), reply.error.message);
  BOOST_CHECK_EQUAL(reply.requests, 3u);
  BOOST_REQUIRE_EQUAL(reply.servers.size(), 3u);
  BOOST_CHECK_EQUAL(reply.servers[2].provider_id, "3");
  BOOST_CHECK(reply.servers[2].state == cloud_state::stopped);
  BOOST_CHECK_EQUAL(reply.budget.limit, 5000);
  BOOST_CHECK_EQUAL(reply.budget.remaining, 4990);
  BOOST_CHECK_EQUAL(reply.budget.reset_at_ms, 1'700'000'300'000);
  // A next link without a page number still advances.
  script->expect("GET", base + "1", 200,
                 page(droplet_json(1, "active"), R"("https://x/droplets")"));
  script->expect("GET", base + "2", 200, page("", ""));
  reply = cloud->list({{labels::owner, "node1"}});
  BOOST_CHECK_EQUAL(reply.requests, 2u);
  BOOST_CHECK_EQUAL(reply.servers.size(), 1u);
}

BOOST_AUTO_TEST_CASE(a_lookup_by_id_filters_on_the_id_tag) {
  // The server actor's lookup after an unknown create outcome: owner and id.
  // Filtering on the owner tag would list the whole fleet.
  const std::string id = "0b8f7c1e-1111-4222-8333-444455556666";
  const std::string target = "/droplets?tag_name=dynserv-id%3A" + id
                             + "&per_page=200&page=1";
  auto foreign = droplet_json(
    8, "active", R"("dynserv-id:)" + id + R"(","dynserv-owner:node2")");
  script->expect("GET", target, 200,
                 R"({"droplets":[)" + droplet_json(7, "active") + "," + foreign
                   + R"(],"links":{}})");
  auto reply = cloud->list({{labels::owner, "node1"}, {labels::id, id}});
  BOOST_REQUIRE_MESSAGE(reply.ok(), reply.error.message);
  BOOST_CHECK_EQUAL(reply.requests, 1u);
  // The other labels are still filtered client-side.
  BOOST_REQUIRE_EQUAL(reply.servers.size(), 1u);
  BOOST_CHECK_EQUAL(reply.servers[0].provider_id, "7");
  BOOST_CHECK_EQUAL(script->pending(), 0u);
  // Labels that need escaping are encoded as tags, then URL-encoded.
  script->expect("GET",
                 "/droplets?tag_name=dynserv-id%3Aa_2Eb&per_page=200"
                 "&page=1",
                 200, R"({"droplets":[]})");
  reply = cloud->list({{labels::pool, "web"}, {labels::id, "a.b"}});
  BOOST_CHECK(reply.ok());
  BOOST_CHECK(reply.servers.empty());
  BOOST_CHECK_EQUAL(script->pending(), 0u);
}

BOOST_AUTO_TEST_CASE(a_list_skips_actions_whose_outcome_it_shows) {
  constexpr int n = 250;
  auto tags_of = [](int i) {
    return R"("dynserv-owner:node1","dynserv-id:id-)" + std::to_string(i)
           + "\"";
  };
  for (int i = 0; i < n; ++i) {
    script->expect("POST", "/droplets", 202,
                   R"({"droplet":)" + droplet_json(100 + i, "new", tags_of(i))
                     + R"(,"links":{"actions":[{"id":)"
                     + std::to_string(1000 + i) + R"(,"rel":"create"}]}})");
    BOOST_REQUIRE(cloud->create(make_create(spec)).ok());
  }
  const std::string base = "/droplets?tag_name=dynserv-owner%3Anode1"
                           "&per_page=200&page=";
  auto page = [&](int first, int last, const std::string& next) {
    std::string items;
    for (int i = first; i < last; ++i)
      items += (items.empty() ? "" : ",")
               + droplet_json(100 + i, "active", tags_of(i));
    return R"({"droplets":[)" + items + R"(],"links":{"pages":{)"
           + (next.empty() ? std::string{} : R"("next":")" + next + "\"")
           + "}}}";
  };
  clock.now += 10 * action_read_interval_ms;
  script->expect("GET", base + "1", 200,
                 page(0, 200, "https://x/v2/droplets?page=2"));
  script->expect("GET", base + "2", 200, page(200, n, ""));
  auto reply = cloud->list({{labels::owner, "node1"}});
  BOOST_REQUIRE_MESSAGE(reply.ok(), reply.error.message);
  BOOST_CHECK_EQUAL(reply.requests, 2u);
  BOOST_CHECK_EQUAL(reply.servers.size(), static_cast<size_t>(n));
  BOOST_CHECK_EQUAL(script->pending(), 0u);
  script->expect("GET", "/droplets/100", 200, wrapped(100, "active"));
  BOOST_CHECK_EQUAL(cloud->get("100").requests, 1u);
  BOOST_CHECK_EQUAL(script->pending(), 0u);
}

BOOST_AUTO_TEST_CASE(a_list_reads_a_pending_action_once_per_interval) {
  script->answer(202, R"({"droplet":)" + droplet_json(7, "new")
                        + R"(,"links":{"actions":[{"id":5,"rel":"create"}]}})");
  BOOST_REQUIRE(cloud->create(make_create(spec)).ok());
  const std::string target = "/droplets?tag_name=dynserv-owner%3Anode1"
                             "&per_page=200&page=1";
  auto listed = R"({"droplets":[)" + droplet_json(7, "new") + "]}";
  auto action_reads = 0;
  for (int64_t t = 0; t <= 120'000; t += 5'000) {
    clock.now = t0 + t;
    script->expect("GET", target, 200, listed);
    auto due = t > 0 && t % action_read_interval_ms == 0;
    if (due)
      script->expect("GET", "/actions/5", 200,
                     action_json(5, "in-progress", "create"));
    auto reply = cloud->list({{labels::owner, "node1"}});
    BOOST_TEST_CONTEXT("t=" << t) {
      BOOST_CHECK(reply.ok());
      BOOST_CHECK_EQUAL(reply.requests, due ? 2u : 1u);
      BOOST_CHECK_EQUAL(script->pending(), 0u);
    }
    action_reads += due ? 1 : 0;
  }
  BOOST_CHECK_EQUAL(action_reads, 4);
  // An errored create found by a list reads as failed.
  clock.now += action_read_interval_ms;
  script->expect("GET", target, 200, listed);
  script->expect("GET", "/actions/5", 200, action_json(5, "errored", "create"));
  auto reply = cloud->list({{labels::owner, "node1"}});
  BOOST_CHECK_EQUAL(reply.requests, 2u);
  BOOST_CHECK(reply.servers.at(0).state == cloud_state::failed);
  BOOST_CHECK_EQUAL(reply.servers.at(0).failure.code, "errored");
  BOOST_CHECK_EQUAL(script->pending(), 0u);
}

BOOST_AUTO_TEST_CASE(operations_post_typed_actions) {
  struct row {
    const char* type;
    std::function<provider_reply()> call;
  };
  std::vector<row> rows = {
    {"shutdown", [&] { return cloud->stop("7"); }},
    {"power_on", [&] { return cloud->start("7"); }},
    {"reboot", [&] { return cloud->reboot("7"); }},
  };
  int64_t aid = 100;
  for (auto& r : rows) {
    BOOST_TEST_CONTEXT(r.type) {
      script->expect("POST", "/droplets/7/actions", 201,
                     action_json(aid++, "in-progress", r.type));
      auto reply = r.call();
      BOOST_CHECK(reply.ok());
      BOOST_CHECK_EQUAL(reply.requests, 1u);
      auto doc = parse_json_or_fail(script->last().body);
      BOOST_CHECK_EQUAL(doc["type"].GetString(), std::string{r.type});
    }
  }
  script->expect("DELETE", "/droplets/7", 204);
  auto reply = cloud->destroy("7");
  BOOST_CHECK(reply.ok());
  BOOST_CHECK_EQUAL(header_of(script->last(), "Authorization"),
                    "Bearer do-token");
  // The delete forgot the actions.
  script->expect("GET", "/droplets/7", 200, wrapped(7, "archive"));
  reply = cloud->get("7");
  BOOST_CHECK_EQUAL(reply.requests, 1u);
  BOOST_CHECK(reply.servers.at(0).state == cloud_state::deleting);
}

BOOST_AUTO_TEST_CASE(a_pending_reboot_reads_as_rebooting) {
  script->answer(201, action_json(5, "in-progress", "reboot"));
  BOOST_REQUIRE(cloud->reboot("7").ok());
  script->expect("GET", "/droplets/7", 200, wrapped(7, "active"));
  script->expect("GET", "/actions/5", 200,
                 action_json(5, "in-progress", "reboot"));
  BOOST_CHECK(cloud->get("7").servers.at(0).state == cloud_state::rebooting);
  script->expect("GET", "/droplets/7", 200, wrapped(7, "active"));
  script->expect("GET", "/actions/5", 200,
                 action_json(5, "completed", "reboot"));
  BOOST_CHECK(cloud->get("7").servers.at(0).state == cloud_state::running);
}

BOOST_AUTO_TEST_CASE(soft_stop_then_power_off_after_the_timeout) {
  script->expect("POST", "/droplets/7/actions", 201,
                 action_json(10, "in-progress"));
  BOOST_REQUIRE(cloud->stop("7").ok());
  clock.now += 20'000;
  script->expect("GET", "/droplets/7", 200, wrapped(7, "active"));
  script->expect("GET", "/actions/10", 200, action_json(10, "in-progress"));
  auto reply = cloud->get("7");
  BOOST_CHECK(reply.servers.at(0).state == cloud_state::stopping);
  BOOST_CHECK_EQUAL(reply.requests, 2u);
  // The shutdown completed but the droplet still runs past the timeout.
  clock.now += 41'000;
  script->expect("GET", "/droplets/7", 200, wrapped(7, "active"));
  script->expect("GET", "/actions/10", 200, action_json(10, "completed"));
  script->expect("POST", "/droplets/7/actions", 201,
                 action_json(11, "in-progress", "power_off"));
  reply = cloud->get("7");
  BOOST_CHECK(reply.ok());
  BOOST_CHECK_EQUAL(reply.requests, 3u);
  BOOST_CHECK(reply.servers.at(0).state == cloud_state::stopping);
  auto doc = parse_json_or_fail(script->last().body);
  BOOST_CHECK_EQUAL(doc["type"].GetString(), std::string{"power_off"});
  script->expect("GET", "/droplets/7", 200, wrapped(7, "off"));
  script->expect("GET", "/actions/11", 200,
                 action_json(11, "completed", "power_off"));
  reply = cloud->get("7");
  BOOST_CHECK(reply.servers.at(0).state == cloud_state::stopped);
  script->expect("GET", "/droplets/7", 200, wrapped(7, "off"));
  BOOST_CHECK_EQUAL(cloud->get("7").requests, 1u);
  BOOST_CHECK_EQUAL(script->pending(), 0u);
}

BOOST_AUTO_TEST_CASE(an_errored_shutdown_is_reported_then_powered_off) {
  script->answer(201, action_json(10, "in-progress"));
  BOOST_REQUIRE(cloud->stop("7").ok());
  script->expect("GET", "/droplets/7", 200, wrapped(7, "active"));
  script->expect("GET", "/actions/10", 200, action_json(10, "errored"));
  auto reply = cloud->get("7");
  BOOST_CHECK(reply.error.kind == error_kind::transient);
  BOOST_CHECK_EQUAL(reply.error.code, "action_failed");
  script->expect("GET", "/droplets/7", 200, wrapped(7, "active"));
  script->expect("POST", "/droplets/7/actions", 201,
                 action_json(11, "in-progress", "power_off"));
  BOOST_CHECK(cloud->get("7").ok());
}

BOOST_AUTO_TEST_CASE(state_mapping) {
  struct row {
    const char* raw;
    cloud_state state;
  };
  row rows[] = {{"new", cloud_state::provisioning},
                {"active", cloud_state::running},
                {"off", cloud_state::stopped},
                {"archive", cloud_state::deleting},
                {"melted", cloud_state::unknown}};
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.raw) {
      BOOST_CHECK(map_digitalocean_state(r.raw) == r.state);
      script->answer(200, wrapped(7, r.raw));
      auto reply = cloud->get("7");
      BOOST_REQUIRE(reply.ok());
      BOOST_CHECK(reply.servers[0].state == r.state);
      BOOST_CHECK_EQUAL(reply.servers[0].raw_state, r.raw);
    }
  }
}

BOOST_AUTO_TEST_CASE(error_table) {
  auto body = [](const char* id, const char* msg = "msg") {
    return std::string{R"({"id":")"} + id + R"(","message":")" + msg
           + R"(","request_id":"4d9d8375"})";
  };
  std::vector<error_row> rows = {
    {"get", 0, http_failure::connect, "", {}, error_kind::transient, "connect"},
    {"create",
     0,
     http_failure::lost,
     "",
     {},
     error_kind::outcome_unknown,
     "lost"},
    {"reboot", 0, http_failure::lost, "", {}, error_kind::transient, "lost"},
    {"get",
     0,
     http_failure::protocol,
     "",
     {},
     error_kind::transient,
     "bad_response"},
    {"get",
     200,
     http_failure::none,
     "{",
     {},
     error_kind::transient,
     "bad_response"},
    {"get",
     200,
     http_failure::none,
     R"({"droplet":{"id":[1]}})",
     {},
     error_kind::transient,
     "bad_response"},
    {"list",
     200,
     http_failure::none,
     R"({"droplets":7})",
     {},
     error_kind::transient,
     "bad_response"},
    {"create", 202, http_failure::none, "<html>", html(),
     error_kind::outcome_unknown, "bad_response"},
    {"get",
     404,
     http_failure::none,
     body("not_found"),
     {},
     error_kind::not_found,
     "not_found"},
    {"delete",
     404,
     http_failure::none,
     body("not_found"),
     {},
     error_kind::not_found,
     "not_found"},
    {"get",
     404,
     http_failure::none,
     "404 page not found",
     {{"Content-Type", "text/plain"}},
     error_kind::transient,
     "bad_response"},
    {"stop",
     422,
     http_failure::none,
     body("unprocessable_entity", "Droplet already has a pending event."),
     {},
     error_kind::conflict,
     "unprocessable_entity"},
    {"create",
     422,
     http_failure::none,
     body("unprocessable_entity",
          "creating this/these droplet(s) will exceed your droplet limit"),
     {},
     error_kind::permanent,
     "unprocessable_entity"},
    {"get",
     429,
     http_failure::none,
     body("too_many_requests", "API Rate limit exceeded."),
     {{"retry-after", "9"}},
     error_kind::rate_limited,
     "too_many_requests",
     9000},
    {"list",
     429,
     http_failure::none,
     body("too_many_requests"),
     {{"ratelimit-limit", "5000"},
      {"ratelimit-remaining", "0"},
      {"ratelimit-reset", "1700000120"}},
     error_kind::rate_limited,
     "too_many_requests",
     120'000},
    {"create",
     429,
     http_failure::none,
     "",
     {},
     error_kind::rate_limited,
     "429",
     1000},
    {"get",
     500,
     http_failure::none,
     body("server_error"),
     {},
     error_kind::transient,
     "server_error"},
    {"get", 502, http_failure::none, "<html>502</html>", html(),
     error_kind::transient, "502"},
    {"create",
     401,
     http_failure::none,
     body("unauthorized"),
     {},
     error_kind::permanent,
     "unauthorized"},
    {"delete",
     403,
     http_failure::none,
     body("forbidden"),
     {},
     error_kind::permanent,
     "forbidden"},
    {"start",
     409,
     http_failure::none,
     body("conflict"),
     {},
     error_kind::conflict,
     "conflict"},
    {"create",
     400,
     http_failure::none,
     body("bad_request"),
     {},
     error_kind::permanent,
     "bad_request"},
    {"create",
     400,
     http_failure::none,
     R"({"id":42})",
     {},
     error_kind::transient,
     "bad_response"},
  };
  run_error_table(rows, factory, make_create(spec), "7");
}

BOOST_AUTO_TEST_CASE(spec_validation) {
  struct row {
    const char* spec;
    std::vector<std::pair<std::string, std::string>> problems;
  };
  std::vector<row> rows = {
    {R"({"region":"fra1","size":"s","image":"debian"})", {}},
    {R"({"region":"fra1","size":"s","image":123})", {}},
    {R"({"region":"fra1","size":"s","image":1,"public_networking":false,
         "backup_policy":{"plan":"weekly"},"gpu_partition_mode":"x"})",
     {}},
    {R"({"region":"fra1","size":"s","image":1,"backup_policy":"weekly"})",
     {{"backup_policy", "expected an object"}}},
    {R"({"size":"s","image":"debian"})", {{"region", "missing"}}},
    {R"({"region":"fra1","image":"debian"})", {{"size", "missing"}}},
    {R"({"region":"fra1","size":2,"image":"d"})",
     {{"size", "expected a string"}}},
    {R"({"region":"fra1","size":"s","image":"d","tags":["ok","not ok"]})",
     {{"tags[1]", "tags take 1 to 255 letters, digits, ':', '-' and '_'"}}},
    {R"({"region":"fra1","size":"s","image":"d","names":["a"]})",
     {{"names", "set by dynserv; remove it"}}},
    {R"({"region":"fra1","size":"s","image":"d","ipv6":"yes"})",
     {{"ipv6", "expected true or false"}}},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.spec) {
      auto got = validate_server_spec("digitalocean", r.spec);
      BOOST_CHECK_EQUAL(got.size(), r.problems.size());
      for (size_t i = 0; i < std::min(got.size(), r.problems.size()); ++i) {
        BOOST_CHECK_EQUAL(got[i].first, r.problems[i].first);
        BOOST_CHECK_EQUAL(got[i].second, r.problems[i].second);
      }
    }
  }
  // A label too long to be a tag fails the create without a request.
  auto req = make_create(R"({"region":"fra1","size":"s","image":"d"})");
  req.labels["long"] = std::string(300, 'x');
  auto reply = cloud->create(req);
  BOOST_CHECK(reply.error.kind == error_kind::permanent);
  BOOST_CHECK_EQUAL(reply.error.code, "invalid_spec");
  BOOST_CHECK_EQUAL(reply.requests, 0u);
}

BOOST_AUTO_TEST_CASE(capabilities_and_factory) {
  auto caps = cloud->capabilities();
  BOOST_CHECK(!caps.list_by_labels);
  BOOST_CHECK(caps.delete_running);
  auto p = make_digitalocean_provider(opts, make_scripted_transport(script));
  BOOST_REQUIRE(p != nullptr);
  BOOST_CHECK_EQUAL(p->type_name(), "digitalocean");
}

BOOST_AUTO_TEST_SUITE_END()
