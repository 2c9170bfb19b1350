// Tests of the plain HTTP value helpers: URL coding, queries, targets and
// case-insensitive headers.
#include "http/http_message.hpp"

#include <boost/test/unit_test.hpp>

using namespace dynserv;

BOOST_AUTO_TEST_SUITE(message_tests)

BOOST_AUTO_TEST_CASE(url_encode_escapes_all_but_unreserved_characters) {
  BOOST_TEST(url_encode("aZ09-._~") == "aZ09-._~");
  BOOST_TEST(url_encode("a b=c&d/e?") == "a%20b%3Dc%26d%2Fe%3F");
  BOOST_TEST(url_encode("\xC3\xA9") == "%C3%A9");
  BOOST_TEST(url_encode(std::string_view{"\0+", 2}) == "%00%2B");
  BOOST_TEST(url_encode("") == "");
}

BOOST_AUTO_TEST_CASE(url_decode_reverses_url_encode) {
  std::string all;
  for (int i = 0; i < 256; ++i)
    all += static_cast<char>(i);
  auto decoded = url_decode(url_encode(all));
  BOOST_TEST_REQUIRE(decoded.has_value());
  BOOST_TEST(*decoded == all);
  BOOST_TEST(*url_decode("a%3db%3D") == "a=b=");
  BOOST_TEST(*url_decode("a+b") == "a+b");
  BOOST_TEST(*url_decode("") == "");
}

BOOST_AUTO_TEST_CASE(url_decode_rejects_malformed_escapes) {
  BOOST_TEST(!url_decode("%").has_value());
  BOOST_TEST(!url_decode("%4").has_value());
  BOOST_TEST(!url_decode("abc%").has_value());
  BOOST_TEST(!url_decode("%zz").has_value());
  BOOST_TEST(!url_decode("%4g").has_value());
  BOOST_TEST(!url_decode("%g4").has_value());
  BOOST_TEST(*url_decode("%41%42") == "AB");
}

BOOST_AUTO_TEST_CASE(parse_query_keeps_order_repeats_and_empty_values) {
  auto q = parse_query("a=1&b=&c&a=2&&label=x%3Dy&sp=a+b");
  using kv = std::pair<std::string, std::string>;
  std::vector<kv> expected{{"a", "1"}, {"b", ""},        {"c", ""},
                           {"a", "2"}, {"label", "x=y"}, {"sp", "a+b"}};
  BOOST_TEST_REQUIRE(q.size() == expected.size());
  for (size_t i = 0; i < q.size(); ++i) {
    BOOST_TEST(q[i].first == expected[i].first);
    BOOST_TEST(q[i].second == expected[i].second);
  }
  BOOST_TEST(parse_query("").empty());
}

BOOST_AUTO_TEST_CASE(parse_query_keeps_raw_text_of_malformed_escapes) {
  auto q = parse_query("k%zz=v%4&ok=%41");
  BOOST_TEST_REQUIRE(q.size() == 2u);
  BOOST_TEST(q[0].first == "k%zz");
  BOOST_TEST(q[0].second == "v%4");
  BOOST_TEST(q[1].first == "ok");
  BOOST_TEST(q[1].second == "A");
}

BOOST_AUTO_TEST_CASE(split_target_separates_path_and_query) {
  auto [p1, q1] = split_target("/servers?pool=a&x=1");
  BOOST_TEST(p1 == "/servers");
  BOOST_TEST(q1 == "pool=a&x=1");
  auto [p2, q2] = split_target("/servers");
  BOOST_TEST(p2 == "/servers");
  BOOST_TEST(q2 == "");
  auto [p3, q3] = split_target("/a?");
  BOOST_TEST(p3 == "/a");
  BOOST_TEST(q3 == "");
  auto [p4, q4] = split_target("/a?b?c");
  BOOST_TEST(p4 == "/a");
  BOOST_TEST(q4 == "b?c");
}

BOOST_AUTO_TEST_CASE(headers_are_case_insensitive) {
  http_headers h{{"Content-Type", "text/plain"}, {"X-A", "1"}, {"x-a", "2"}};
  BOOST_TEST(*find_header(h, "content-type") == "text/plain");
  BOOST_TEST(*find_header(h, "X-a") == "1");
  BOOST_TEST(!find_header(h, "missing").has_value());
  set_header(h, "X-A", "3");
  BOOST_TEST_REQUIRE(h.size() == 2u);
  BOOST_TEST(*find_header(h, "x-a") == "3");
  set_header(h, "Authorization", "secret");
  BOOST_TEST(*find_header(h, "AUTHORIZATION") == "secret");
  BOOST_TEST(iequals("Keep-Alive", "keep-alive"));
  BOOST_TEST(!iequals("Keep-Alive", "keep-alivE "));
}

BOOST_AUTO_TEST_SUITE_END()
