// Streamed (chunked) responses and the server's graceful stop.
#include <boost/test/unit_test.hpp>

#include <future>
#include <mutex>
#include <thread>

#include "tests/http/http_fixture.hpp"
#include "tests/http/raw_socket.hpp"

using namespace dynserv;
using namespace dynserv::test;
using namespace std::chrono_literals;

namespace {

const std::string stream_get = "GET /events HTTP/1.1\r\nHost: x\r\n\r\n";

/// Hands the streams the handler opens to the test.
struct stream_box {
  std::mutex mtx;
  std::vector<std::shared_ptr<http_stream>> streams;

  void add(std::shared_ptr<http_stream> s) {
    std::lock_guard<std::mutex> guard{mtx};
    streams.push_back(std::move(s));
  }

  std::shared_ptr<http_stream> wait_first() {
    std::shared_ptr<http_stream> out;
    eventually([&] {
      std::lock_guard<std::mutex> guard{mtx};
      if (streams.empty())
        return false;
      out = streams.front();
      return true;
    });
    return out;
  }
};

/// The body of a raw response (after the blank line).
std::string body_of(const std::string& raw) {
  auto at = raw.find("\r\n\r\n");
  return at == std::string::npos ? std::string{} : raw.substr(at + 4);
}

} // namespace

BOOST_AUTO_TEST_SUITE(stream_stop_tests)

BOOST_AUTO_TEST_CASE(stream_chunks_arrive_in_order_and_end_on_close) {
  auto server = start_server(loopback_options(), [](http_request, auto ex) {
    auto s = ex->stream(200, {{"Content-Type", "text/event-stream"}});
    // Written from another thread, as the node's actors will.
    std::thread([s] {
      for (int i = 0; i < 50; ++i)
        s->write("data: " + std::to_string(i) + "\n\n");
      s->write(""); // ignored, must not end the stream
      s->close();
      s->close();
    }).detach();
  });
  raw_client raw{server->port()};
  BOOST_TEST_REQUIRE(raw.ok());
  raw.send(stream_get);
  BOOST_TEST_REQUIRE(raw.read_until_closed());
  auto& got = raw.received();
  BOOST_TEST(got.find("HTTP/1.1 200 OK\r\n") == 0u, got);
  auto head = got.substr(0, got.find("\r\n\r\n"));
  BOOST_TEST(head.find("Transfer-Encoding: chunked") != std::string::npos);
  BOOST_TEST(head.find("Content-Type: text/event-stream") != std::string::npos);
  BOOST_TEST(head.find("Content-Length") == std::string::npos);
  auto body = decode_chunked(body_of(got));
  BOOST_TEST_REQUIRE(body.has_value(), got);
  std::string expected;
  for (int i = 0; i < 50; ++i)
    expected += "data: " + std::to_string(i) + "\n\n";
  BOOST_TEST(*body == expected);
}

BOOST_AUTO_TEST_CASE(stream_header_is_sent_before_any_chunk) {
  stream_box box;
  auto server = start_server(loopback_options(), [&](http_request, auto ex) {
    box.add(ex->stream(200, {{"Content-Type", "text/event-stream"}}));
  });
  raw_client raw{server->port()};
  BOOST_TEST_REQUIRE(raw.ok());
  raw.send(stream_get);
  BOOST_TEST(raw.read_until("\r\n\r\n"));
  auto s = box.wait_first();
  BOOST_TEST_REQUIRE((s != nullptr));
  BOOST_TEST(s->open());
  BOOST_TEST(s->write("hello"));
  BOOST_TEST(raw.read_until("5\r\nhello\r\n"));
  s->close();
  BOOST_TEST(!s->open());
  BOOST_TEST(!s->write("late"));
  BOOST_TEST(raw.read_until_closed());
  BOOST_TEST(raw.received().find("0\r\n\r\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(stream_write_fails_after_the_client_disconnects) {
  stream_box box;
  auto server = start_server(loopback_options(), [&](http_request, auto ex) {
    box.add(ex->stream(200, {}));
  });
  {
    raw_client raw{server->port()};
    BOOST_TEST_REQUIRE(raw.ok());
    raw.send(stream_get);
    BOOST_TEST_REQUIRE(raw.read_until("\r\n\r\n"));
  }
  auto s = box.wait_first();
  BOOST_TEST_REQUIRE((s != nullptr));
  BOOST_TEST(eventually([&] { return !s->write("ping\n"); }));
  BOOST_TEST(!s->open());
}

BOOST_AUTO_TEST_CASE(stop_lets_in_flight_requests_finish_then_closes_streams) {
  stream_box box;
  std::mutex mtx;
  std::shared_ptr<http_exchange> slow;
  auto server = start_server(loopback_options(),
                             [&](http_request req, auto ex) {
                               if (req.target == "/events") {
                                 box.add(ex->stream(200, {}));
                               } else if (req.target == "/slow") {
                                 std::lock_guard<std::mutex> guard{mtx};
                                 slow = ex;
                               } else {
                                 ex->respond(text(200, "quick"));
                               }
                             });
  auto port = server->port();
  // An open stream.
  raw_client streamer{port};
  BOOST_TEST_REQUIRE(streamer.ok());
  streamer.send(stream_get);
  BOOST_TEST_REQUIRE(streamer.read_until("\r\n\r\n"));
  auto stream = box.wait_first();
  BOOST_TEST_REQUIRE((stream != nullptr));
  BOOST_TEST(stream->write("before stop\n"));
  // An idle kept-alive connection.
  raw_client idle{port};
  BOOST_TEST_REQUIRE(idle.ok());
  idle.send("GET /quick HTTP/1.1\r\nHost: x\r\n\r\n");
  BOOST_TEST_REQUIRE(idle.read_until("quick"));
  // A request whose handler has not answered yet.
  auto slow_result = std::async(std::launch::async, [port] {
    auto client = make_client(port);
    return client->send(get("/slow"));
  });
  BOOST_TEST_REQUIRE(eventually([&] {
    std::lock_guard<std::mutex> guard{mtx};
    return slow != nullptr;
  }));
  auto stopped = std::async(std::launch::async,
                            [&server] { server->stop(10s); });
  // Once the server is stopping, streams report closed, the idle connection
  // goes, and the slow request may still answer.
  BOOST_TEST_REQUIRE(eventually([&] { return !stream->open(); }));
  BOOST_TEST(!stream->write("after stop\n"));
  BOOST_TEST(idle.read_until_closed());
  {
    std::lock_guard<std::mutex> guard{mtx};
    slow->respond(text(200, "slow done"));
    slow.reset();
  }
  auto res = slow_result.get();
  BOOST_TEST_REQUIRE(res.ok(), res.detail);
  BOOST_TEST(res.response.body == "slow done");
  BOOST_TEST(iequals(
    find_header(res.response.headers, "connection").value_or(""), "close"));
  BOOST_TEST((stopped.wait_for(5s) == std::future_status::ready));
  BOOST_TEST(streamer.read_until_closed());
  auto body = decode_chunked(body_of(streamer.received()));
  BOOST_TEST_REQUIRE(body.has_value(), streamer.received());
  BOOST_TEST(*body == "before stop\n");
  // New connections are refused; stopping again is harmless.
  raw_client late{port};
  BOOST_TEST((!late.ok() || late.read_until_closed()));
  server->stop(0ms);
}

BOOST_AUTO_TEST_CASE(stop_does_not_wait_longer_than_grace) {
  std::mutex mtx;
  std::shared_ptr<http_exchange> never;
  auto server = start_server(loopback_options(), [&](http_request, auto ex) {
    std::lock_guard<std::mutex> guard{mtx};
    never = ex;
  });
  auto port = server->port();
  auto pending = std::async(std::launch::async, [port] {
    http_client_options o;
    o.base_url = "http://127.0.0.1:" + std::to_string(port);
    o.read_timeout = 10s;
    return make_client(o)->send(get("/"));
  });
  BOOST_TEST_REQUIRE(eventually([&] {
    std::lock_guard<std::mutex> guard{mtx};
    return never != nullptr;
  }));
  server->stop(100ms);
  auto res = pending.get();
  BOOST_TEST((res.failure == http_failure::lost), to_string(res.failure));
  // Answering after the stop is harmless.
  std::lock_guard<std::mutex> guard{mtx};
  never->respond(text(200, "too late"));
  never.reset();
  server.reset();
}

BOOST_AUTO_TEST_CASE(exchange_may_outlive_the_server) {
  std::mutex mtx;
  std::shared_ptr<http_exchange> kept;
  std::shared_ptr<http_stream> kept_stream;
  auto server = start_server(loopback_options(),
                             [&](http_request req, auto ex) {
                               std::lock_guard<std::mutex> guard{mtx};
                               if (req.target == "/events")
                                 kept_stream = ex->stream(200, {});
                               else
                                 kept = ex;
                             });
  raw_client a{server->port()};
  raw_client b{server->port()};
  BOOST_TEST_REQUIRE((a.ok() && b.ok()));
  a.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  b.send(stream_get);
  BOOST_TEST_REQUIRE(eventually([&] {
    std::lock_guard<std::mutex> guard{mtx};
    return kept != nullptr && kept_stream != nullptr;
  }));
  server.reset(); // stop(0) in the destructor
  BOOST_TEST(a.read_until_closed());
  BOOST_TEST(b.read_until_closed());
  std::lock_guard<std::mutex> guard{mtx};
  BOOST_TEST(!kept_stream->write("x"));
  kept_stream->close();
  kept->respond(text(200, "nobody listens"));
  kept.reset();
  kept_stream.reset();
}

BOOST_AUTO_TEST_SUITE_END()
