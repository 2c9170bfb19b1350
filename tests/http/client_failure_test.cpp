// How the client classifies failures: bad options, refused connections,
// silent or non-HTTP peers, and when it resends on a stale connection.
#include <boost/test/unit_test.hpp>

#include "tests/http/http_fixture.hpp"
#include "tests/http/raw_socket.hpp"

using namespace dynserv;
using namespace dynserv::test;
using namespace std::chrono_literals;

namespace {

std::string ok_response(std::string_view body) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size())
         + "\r\n\r\n" + std::string{body};
}

http_client_options options_for(uint16_t port) {
  http_client_options o;
  o.base_url = "http://127.0.0.1:" + std::to_string(port);
  o.connect_timeout = 2s;
  o.read_timeout = 2s;
  return o;
}

} // namespace

BOOST_AUTO_TEST_SUITE(client_failure_tests)

BOOST_AUTO_TEST_CASE(bad_base_urls_are_rejected_with_a_reason) {
  for (auto url :
       {"", "127.0.0.1:80", "ftp://host", "http://", "http://:80",
        "http://host:", "http://host:0", "http://host:65536", "http://host:8o",
        "http://[::1", "http://[nope]:80", "http://::1:80", "http://ho st",
        "http://host/a b", "http://host/path?q=1", "http://host#frag",
        "http://[::1]x"}) {
    std::string error;
    http_client_options o;
    o.base_url = url;
    BOOST_TEST((make_http_client(o, &error) == nullptr), url);
    BOOST_TEST(!error.empty(), url);
  }
}

BOOST_AUTO_TEST_CASE(credentials_in_a_bad_url_are_not_repeated) {
  std::string error;
  http_client_options o;
  o.base_url = "https://user:s3cret@example.com/x?token=t0k";
  BOOST_TEST((make_http_client(o, &error) == nullptr));
  BOOST_TEST(!error.empty());
  BOOST_TEST(error.find("s3cret") == std::string::npos, error);
  BOOST_TEST(error.find("t0k") == std::string::npos, error);
}

BOOST_AUTO_TEST_CASE(good_base_urls_are_accepted) {
  for (auto url : {"http://127.0.0.1", "HTTPS://example.com:8443/api/",
                   "http://[::1]:8080/x", "https://a-b.example_c.org"}) {
    std::string error;
    http_client_options o;
    o.base_url = url;
    BOOST_TEST((make_http_client(o, &error) != nullptr), url << ": " << error);
  }
}

BOOST_AUTO_TEST_CASE(missing_ca_file_is_rejected_with_a_reason) {
  std::string error;
  http_client_options o;
  o.base_url = "https://example.com";
  o.ca_file = "/nonexistent/dynserv-ca.pem";
  BOOST_TEST((make_http_client(o, &error) == nullptr));
  BOOST_TEST(error.find("/nonexistent/dynserv-ca.pem") != std::string::npos,
             error);
}

BOOST_AUTO_TEST_CASE(refused_connection_is_a_connect_failure) {
  auto client = make_client(options_for(unused_port()));
  auto res = client->send(request("GET", "/", ""));
  BOOST_TEST((res.failure == http_failure::connect), to_string(res.failure));
  BOOST_TEST(!res.detail.empty());
  BOOST_TEST(std::string{to_string(res.failure)} == "connect");
}

BOOST_AUTO_TEST_CASE(silent_server_is_lost_after_the_read_timeout) {
  raw_server silent{[&](int fd, int) {
    // Reads the request and never answers.
    silent.wait_for_close(fd);
  }};
  auto o = options_for(silent.port());
  o.read_timeout = 300ms;
  auto client = make_client(o);
  auto res = client->send(request("POST", "/x", "body"));
  BOOST_TEST((res.failure == http_failure::lost), to_string(res.failure));
  BOOST_TEST(res.detail.find("300 ms") != std::string::npos, res.detail);
  BOOST_TEST(silent.connections() == 1); // Not resent.
}

BOOST_AUTO_TEST_CASE(non_http_answer_is_a_protocol_failure) {
  raw_server liar{[&](int fd, int index) {
    if (!liar.read_head(fd))
      return;
    if (index == 0)
      raw_server::write_all(fd, "SSH-2.0-OpenSSH_9.2\r\n\r\n");
    else
      raw_server::write_all(fd, "garbage"); // ... and closes
  }};
  auto client = make_client(options_for(liar.port()));
  for (int i = 0; i < 2; ++i) {
    auto res = client->send(request("GET", "/", ""));
    BOOST_TEST((res.failure == http_failure::protocol),
               i << ": " << to_string(res.failure) << " " << res.detail);
    BOOST_TEST(!res.detail.empty());
  }
}

BOOST_AUTO_TEST_CASE(stale_reused_connection_is_resent_once) {
  std::atomic<int> requests{0};
  raw_server srv{[&](int fd, int index) {
    if (!srv.read_head(fd))
      return;
    ++requests;
    if (index == 0) {
      raw_server::write_all(fd, ok_response("a"));
      // The second request on this connection arrives, but the server
      // closes as if its idle timer fired at that moment.
      if (srv.read_head(fd))
        ++requests;
      return;
    }
    raw_server::write_all(fd, ok_response("b"));
    srv.wait_for_close(fd);
  }};
  auto client = make_client(options_for(srv.port()));
  auto res = client->send(request("GET", "/", ""));
  BOOST_TEST_REQUIRE(res.ok(), res.detail);
  BOOST_TEST(res.response.body == "a");
  res = client->send(request("GET", "/", ""));
  BOOST_TEST_REQUIRE(res.ok(), res.detail);
  BOOST_TEST(res.response.body == "b");
  BOOST_TEST(requests == 3);
  BOOST_TEST(srv.connections() == 2);
}

BOOST_AUTO_TEST_CASE(stale_reused_connection_never_resends_a_post) {
  // Same server as above: the second request reaches it and the connection
  // closes without an answer. For a POST (a create) that may have taken
  // effect, so the client reports "lost" instead of sending it again.
  std::atomic<int> requests{0};
  raw_server srv{[&](int fd, int index) {
    if (!srv.read_head(fd))
      return;
    ++requests;
    if (index == 0) {
      raw_server::write_all(fd, ok_response("a"));
      if (srv.read_head(fd))
        ++requests;
      return;
    }
    raw_server::write_all(fd, ok_response("b"));
    srv.wait_for_close(fd);
  }};
  auto client = make_client(options_for(srv.port()));
  auto res = client->send(request("GET", "/", ""));
  BOOST_TEST_REQUIRE(res.ok(), res.detail);
  res = client->send(request("POST", "/servers", "{}"));
  BOOST_TEST((res.failure == http_failure::lost), to_string(res.failure)
                                                    << ": " << res.detail);
  BOOST_TEST(requests == 2);
  BOOST_TEST(srv.connections() == 1);
  // The client recovers on a fresh connection afterwards.
  res = client->send(request("GET", "/", ""));
  BOOST_TEST_REQUIRE(res.ok(), res.detail);
  BOOST_TEST(res.response.body == "b");
}

BOOST_AUTO_TEST_CASE(partial_response_is_never_resent) {
  raw_server srv{[&](int fd, int index) {
    if (index > 0 || !srv.read_head(fd))
      return;
    raw_server::write_all(fd, ok_response("a"));
    if (srv.read_head(fd))
      raw_server::write_all(fd, "HTTP/1.1 200 OK\r\nContent-Len");
  }};
  auto client = make_client(options_for(srv.port()));
  auto res = client->send(request("GET", "/", ""));
  BOOST_TEST_REQUIRE(res.ok(), res.detail);
  res = client->send(request("GET", "/", ""));
  BOOST_TEST((res.failure == http_failure::lost), to_string(res.failure)
                                                    << ": " << res.detail);
  BOOST_TEST(srv.connections() == 1);
}

BOOST_AUTO_TEST_CASE(response_without_keep_alive_closes_and_reconnects) {
  raw_server srv{[&](int fd, int index) {
    if (!srv.read_head(fd))
      return;
    auto body = std::to_string(index);
    raw_server::write_all(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n"
                              "Content-Length: "
                                + std::to_string(body.size()) + "\r\n\r\n"
                                + body);
  }};
  auto client = make_client(options_for(srv.port()));
  for (int i = 0; i < 3; ++i) {
    auto res = client->send(request("GET", "/", ""));
    BOOST_TEST_REQUIRE(res.ok(), res.detail);
    BOOST_TEST(res.response.body == std::to_string(i));
  }
}

BOOST_AUTO_TEST_CASE(response_delimited_by_close_is_read_to_the_end) {
  raw_server srv{[&](int fd, int) {
    if (srv.read_head(fd))
      raw_server::write_all(fd, "HTTP/1.0 200 OK\r\n\r\nuntil the end");
  }};
  auto client = make_client(options_for(srv.port()));
  auto res = client->send(request("GET", "/", ""));
  BOOST_TEST_REQUIRE(res.ok(), res.detail);
  BOOST_TEST(res.response.body == "until the end");
}

BOOST_AUTO_TEST_SUITE_END()
