// Client and server against each other on loopback: round trips, keep-alive,
// limits, and how the server treats late, failing or missing answers.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "tests/http/http_fixture.hpp"
#include "tests/http/raw_socket.hpp"

using namespace dynserv;
using namespace dynserv::test;
using namespace std::chrono_literals;

namespace {

/// Answers with what the server saw, one line per item.
void echo(http_request req, std::shared_ptr<http_exchange> ex) {
  std::string body = req.method + "\n" + req.target + "\n"
                     + find_header(req.headers, "x-test").value_or("-") + "\n"
                     + find_header(req.headers, "host").value_or("-") + "\n"
                     + find_header(req.headers, "user-agent").value_or("-")
                     + "\n" + req.body;
  ex->respond(
    http_response{201,
                  {{"Content-Type", "text/plain"}, {"X-Remote", req.remote}},
                  std::move(body)});
}

/// A request in the remote's plain bytes, for raw sockets.
const std::string simple_get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

} // namespace

BOOST_AUTO_TEST_SUITE(client_server_tests)

BOOST_AUTO_TEST_CASE(get_and_post_round_trip_with_headers_and_body) {
  auto server = start_server(loopback_options(), echo);
  auto client = make_client(server->port());
  auto req = get("/servers?pool=a%3Db");
  req.headers.emplace_back("X-Test", "hello");
  auto res = client->send(req);
  BOOST_TEST_REQUIRE(res.ok(), res.detail);
  BOOST_TEST(res.response.status == 201);
  auto host = "127.0.0.1:" + std::to_string(server->port());
  BOOST_TEST(res.response.body
             == "GET\n/servers?pool=a%3Db\nhello\n" + host + "\ndynserv\n");
  BOOST_TEST(*find_header(res.response.headers, "content-type")
             == "text/plain");
  auto post = request("POST", "/servers", "{\"n\":1}", {{"X-Test", "p"}});
  res = client->send(post);
  BOOST_TEST_REQUIRE(res.ok(), res.detail);
  BOOST_TEST(res.response.body
             == "POST\n/servers\np\n" + host + "\ndynserv\n{\"n\":1}");
}

BOOST_AUTO_TEST_CASE(base_url_path_prefixes_every_target) {
  auto server = start_server(loopback_options(), echo);
  auto client = make_client(server->port(), "/api/v1/");
  auto res = client->send(get("/items?x=1"));
  BOOST_TEST_REQUIRE(res.ok(), res.detail);
  BOOST_TEST(res.response.body.find("GET\n/api/v1/items?x=1\n") == 0u);
  res = client->send(get(""));
  BOOST_TEST_REQUIRE(res.ok(), res.detail);
  BOOST_TEST(res.response.body.find("GET\n/api/v1\n") == 0u);
}

BOOST_AUTO_TEST_CASE(user_headers_override_host_and_user_agent) {
  auto server = start_server(loopback_options(), echo);
  http_client_options o;
  o.base_url = "http://127.0.0.1:" + std::to_string(server->port());
  o.user_agent = "agent/2";
  auto client = make_client(o);
  auto res = client->send(get("/"));
  BOOST_TEST_REQUIRE(res.ok(), res.detail);
  BOOST_TEST(res.response.body.find("\nagent/2\n") != std::string::npos);
  auto req = get("/");
  req.headers = {{"host", "example.org"}, {"User-Agent", "mine"}};
  res = client->send(req);
  BOOST_TEST_REQUIRE(res.ok(), res.detail);
  BOOST_TEST(res.response.body.find("\nexample.org\nmine\n")
             != std::string::npos);
}

BOOST_AUTO_TEST_CASE(requests_with_line_breaks_in_headers_are_invalid) {
  std::atomic<int> calls{0};
  auto server = start_server(loopback_options(),
                             [&](http_request req, auto ex) {
                               ++calls;
                               echo(std::move(req), ex);
                             });
  auto client = make_client(server->port());
  auto req = get("/");
  req.headers.emplace_back("X-Test", "a\r\nX-Injected: 1");
  auto res = client->send(req);
  BOOST_TEST((res.failure == http_failure::invalid));
  BOOST_TEST(!client->send(get("/a b")).ok());
  BOOST_TEST(!client->send(request("GE T", "/", "")).ok());
  BOOST_TEST(calls == 0);
}

BOOST_AUTO_TEST_CASE(keep_alive_reuses_the_connection) {
  auto server = start_server(loopback_options(), echo);
  auto client = make_client(server->port());
  std::string first;
  for (int i = 0; i < 3; ++i) {
    auto res = client->send(get("/"));
    BOOST_TEST_REQUIRE(res.ok(), res.detail);
    auto remote = *find_header(res.response.headers, "x-remote");
    if (i == 0)
      first = remote;
    BOOST_TEST(remote == first);
  }
  BOOST_TEST(first.find("127.0.0.1:") == 0u);
}

BOOST_AUTO_TEST_CASE(connection_close_is_honoured) {
  auto server = start_server(loopback_options(), echo);
  auto client = make_client(server->port());
  auto req = get("/");
  req.headers.emplace_back("Connection", "close");
  auto res = client->send(req);
  BOOST_TEST_REQUIRE(res.ok(), res.detail);
  auto first = *find_header(res.response.headers, "x-remote");
  BOOST_TEST(iequals(
    find_header(res.response.headers, "connection").value_or(""), "close"));
  res = client->send(get("/"));
  BOOST_TEST_REQUIRE(res.ok(), res.detail);
  BOOST_TEST(*find_header(res.response.headers, "x-remote") != first);
}

BOOST_AUTO_TEST_CASE(client_reconnects_after_the_server_closed_an_idle_one) {
  auto opts = loopback_options();
  opts.idle_timeout = 100ms;
  auto server = start_server(opts, echo);
  auto client = make_client(server->port());
  auto res = client->send(get("/"));
  BOOST_TEST_REQUIRE(res.ok(), res.detail);
  auto first = *find_header(res.response.headers, "x-remote");
  auto local
    = static_cast<uint16_t>(std::stoi(first.substr(first.find(':') + 1)));
  // Wait until the kernel shows the server's FIN on the client's socket.
  constexpr int close_wait = 8;
  BOOST_TEST_REQUIRE(
    eventually([&] { return tcp_state(local, server->port()) == close_wait; }));
  res = client->send(get("/"));
  BOOST_TEST_REQUIRE(res.ok(), res.detail);
  BOOST_TEST(*find_header(res.response.headers, "x-remote") != first);
}

BOOST_AUTO_TEST_CASE(oversized_body_gets_413_without_calling_the_handler) {
  auto opts = loopback_options();
  opts.body_limit = 1024;
  std::atomic<int> calls{0};
  auto server = start_server(opts, [&](http_request req, auto ex) {
    ++calls;
    echo(std::move(req), ex);
  });
  auto client = make_client(server->port());
  auto res = client->send(request("POST", "/", std::string(4096, 'x')));
  BOOST_TEST_REQUIRE(res.ok(), res.detail);
  BOOST_TEST(res.response.status == 413);
  BOOST_TEST(is_error_json(res.response.body, "payload_too_large"),
             res.response.body);
  BOOST_TEST(calls == 0);
  // A body at the limit passes.
  res = client->send(request("POST", "/", std::string(1024, 'x')));
  BOOST_TEST_REQUIRE(res.ok(), res.detail);
  BOOST_TEST(res.response.status == 201);
  BOOST_TEST(calls == 1);
}

BOOST_AUTO_TEST_CASE(expect_continue_gets_100_before_the_body) {
  auto server = start_server(loopback_options(), echo);
  raw_client raw{server->port()};
  BOOST_TEST_REQUIRE(raw.ok());
  raw.send("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
           "Expect: 100-continue\r\n\r\n");
  BOOST_TEST_REQUIRE(raw.read_until("HTTP/1.1 100 Continue\r\n\r\n"));
  raw.send("abc");
  BOOST_TEST(raw.read_until("\nabc"), raw.received());
  BOOST_TEST(raw.received().find("HTTP/1.1 201") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(connections_beyond_the_limit_get_503) {
  auto opts = loopback_options();
  opts.max_connections = 2;
  auto server = start_server(opts, [](http_request, auto ex) {
    ex->respond(text(200, "ok"));
  });
  std::vector<std::unique_ptr<raw_client>> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(std::make_unique<raw_client>(server->port()));
    BOOST_TEST_REQUIRE(held.back()->ok());
    held.back()->send(simple_get);
    BOOST_TEST_REQUIRE(held.back()->read_until("\r\n\r\nok"));
  }
  raw_client extra{server->port()};
  BOOST_TEST_REQUIRE(extra.ok());
  BOOST_TEST(extra.read_until_closed());
  BOOST_TEST(extra.received().find("HTTP/1.1 503") == 0u, extra.received());
  BOOST_TEST(
    extra.received().find(
      R"({"error":{"code":"unavailable","message":"too many connections"}})")
    != std::string::npos);
  // Once a held connection goes, a new one is served again.
  held.front()->close();
  auto client = make_client(server->port());
  BOOST_TEST(eventually([&] {
    auto res = client->send(get("/"));
    return res.ok() && res.response.status == 200;
  }));
}

BOOST_AUTO_TEST_CASE(garbage_gets_400_and_close) {
  std::atomic<int> calls{0};
  auto server = start_server(loopback_options(), [&](http_request, auto ex) {
    ++calls;
    ex->respond(text(200, "ok"));
  });
  raw_client raw{server->port()};
  BOOST_TEST_REQUIRE(raw.ok());
  raw.send("\x16\x03\x01 this is not HTTP\r\n\r\n");
  BOOST_TEST(raw.read_until_closed());
  BOOST_TEST(raw.received().find("HTTP/1.1 400") == 0u, raw.received());
  auto body_at = raw.received().find("\r\n\r\n");
  BOOST_TEST_REQUIRE(body_at != std::string::npos);
  BOOST_TEST(is_error_json(raw.received().substr(body_at + 4), "bad_request"));
  BOOST_TEST(calls == 0);
}

BOOST_AUTO_TEST_CASE(request_timeout_closes_a_half_sent_request) {
  auto opts = loopback_options();
  opts.request_timeout = 200ms;
  std::atomic<int> calls{0};
  auto server = start_server(opts, [&](http_request, auto ex) {
    ++calls;
    ex->respond(text(200, "ok"));
  });
  raw_client raw{server->port()};
  BOOST_TEST_REQUIRE(raw.ok());
  raw.send("GET / HTTP/1.1\r\nHost: x\r\n");
  BOOST_TEST(raw.read_until_closed(10s));
  BOOST_TEST(calls == 0);
}

BOOST_AUTO_TEST_CASE(
  request_timeout_applies_after_the_first_byte_on_kept_alive) {
  auto opts = loopback_options();
  opts.request_timeout = 200ms;
  opts.idle_timeout = 60s;
  auto server = start_server(opts, [](http_request, auto ex) {
    ex->respond(text(200, "ok"));
  });
  raw_client raw{server->port()};
  BOOST_TEST_REQUIRE(raw.ok());
  raw.send(simple_get);
  BOOST_TEST_REQUIRE(raw.read_until("\r\n\r\nok"));
  raw.send("GET / HTTP/1.1\r\n");
  BOOST_TEST(raw.read_until_closed(10s));
}

BOOST_AUTO_TEST_CASE(handler_may_answer_later_from_another_thread) {
  std::mutex mtx;
  std::condition_variable cv;
  std::deque<std::pair<http_request, std::shared_ptr<http_exchange>>> pending;
  auto server = start_server(loopback_options(),
                             [&](http_request req, auto ex) {
                               std::lock_guard<std::mutex> guard{mtx};
                               pending.emplace_back(std::move(req), ex);
                               cv.notify_all();
                             });
  std::thread responder([&] {
    for (int i = 0; i < 2; ++i) {
      std::unique_lock<std::mutex> guard{mtx};
      if (!cv.wait_for(guard, 5s, [&] { return !pending.empty(); }))
        return;
      auto [req, ex] = std::move(pending.front());
      pending.pop_front();
      guard.unlock();
      ex->respond(text(200, "late " + req.target));
    }
  });
  auto client = make_client(server->port());
  auto res = client->send(get("/one"));
  auto res2 = client->send(get("/two"));
  responder.join();
  BOOST_TEST_REQUIRE(res.ok(), res.detail);
  BOOST_TEST(res.response.body == "late /one");
  BOOST_TEST_REQUIRE(res2.ok(), res2.detail);
  BOOST_TEST(res2.response.body == "late /two");
}

BOOST_AUTO_TEST_CASE(handler_exception_gets_500) {
  auto server = start_server(loopback_options(), [](http_request req, auto) {
    if (req.target == "/int")
      throw 42;
    throw std::runtime_error("boom");
  });
  auto client = make_client(server->port());
  for (auto target : {"/std", "/int"}) {
    auto res = client->send(get(target));
    BOOST_TEST_REQUIRE(res.ok(), res.detail);
    BOOST_TEST(res.response.status == 500);
    BOOST_TEST(is_error_json(res.response.body, "internal"));
    BOOST_TEST(res.response.body.find("boom") == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(handler_answering_then_throwing_keeps_its_answer) {
  auto server = start_server(loopback_options(), [](http_request, auto ex) {
    ex->respond(text(200, "first"));
    throw std::runtime_error("late failure");
  });
  auto client = make_client(server->port());
  auto res = client->send(get("/"));
  BOOST_TEST_REQUIRE(res.ok(), res.detail);
  BOOST_TEST(res.response.status == 200);
  BOOST_TEST(res.response.body == "first");
}

BOOST_AUTO_TEST_CASE(dropped_exchange_gets_500) {
  auto server = start_server(loopback_options(), [](http_request, auto) {
    // Neither respond nor stream nor abort.
  });
  auto client = make_client(server->port());
  auto res = client->send(get("/"));
  BOOST_TEST_REQUIRE(res.ok(), res.detail);
  BOOST_TEST(res.response.status == 500);
  BOOST_TEST(res.response.body
             == R"({"error":{"code":"internal","message":"no response"}})");
}

BOOST_AUTO_TEST_CASE(second_answer_is_ignored) {
  std::atomic<bool> stream_open{true};
  auto server = start_server(loopback_options(), [&](http_request, auto ex) {
    ex->respond(text(200, "first"));
    ex->respond(text(202, "second"));
    auto s = ex->stream(200, {});
    stream_open = s->open() || s->write("x");
    ex->abort();
  });
  auto client = make_client(server->port());
  for (int i = 0; i < 2; ++i) {
    auto res = client->send(get("/"));
    BOOST_TEST_REQUIRE(res.ok(), res.detail);
    BOOST_TEST(res.response.status == 200);
    BOOST_TEST(res.response.body == "first");
  }
  BOOST_TEST(!stream_open);
}

BOOST_AUTO_TEST_CASE(abort_closes_without_an_answer_and_client_sees_lost) {
  std::atomic<int> calls{0};
  auto server = start_server(loopback_options(), [&](http_request, auto ex) {
    ++calls;
    ex->abort();
  });
  auto client = make_client(server->port());
  auto res = client->send(get("/"));
  BOOST_TEST((res.failure == http_failure::lost), to_string(res.failure));
  BOOST_TEST(!res.detail.empty());
  BOOST_TEST(calls == 1); // A fresh connection is never resent.
}

BOOST_AUTO_TEST_CASE(head_gets_headers_only) {
  auto server = start_server(loopback_options(), [](http_request, auto ex) {
    ex->respond(text(200, "twelve bytes"));
  });
  auto client = make_client(server->port());
  auto res = client->send(request("HEAD", "/", ""));
  BOOST_TEST_REQUIRE(res.ok(), res.detail);
  BOOST_TEST(res.response.body.empty());
  BOOST_TEST(*find_header(res.response.headers, "content-length") == "12");
  res = client->send(get("/"));
  BOOST_TEST_REQUIRE(res.ok(), res.detail);
  BOOST_TEST(res.response.body == "twelve bytes");
}

BOOST_AUTO_TEST_CASE(server_reports_bind_failures) {
  auto first = start_server(loopback_options(), echo);
  auto opts = loopback_options();
  opts.port = first->port();
  std::string error;
  auto second = start_http_server(opts, echo, &error);
  BOOST_TEST((second == nullptr));
  BOOST_TEST(error.find(std::to_string(first->port())) != std::string::npos,
             error);
  opts = loopback_options();
  opts.host = "192.0.2.1"; // TEST-NET-1: not an address of this host
  error.clear();
  BOOST_TEST((start_http_server(opts, echo, &error) == nullptr));
  BOOST_TEST(!error.empty());
}

BOOST_AUTO_TEST_SUITE_END()
