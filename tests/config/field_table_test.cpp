// The generic config machinery on its own: bounds (minimum and maximum) of
// durations, integers and numbers, and the walker over a small table.
#include <boost/test/unit_test.hpp>

#include "config/field_table.hpp"

#include <string>

using namespace dynserv;
using namespace dynserv::schema;

namespace {

/// A made-up section with one row of each kind.
struct sample {
  millis wait{std::chrono::seconds{5}};
  uint32_t count = 3;
  double share = 0.5;
  bool on = true;
  std::string mode = "fast";
};

const table<sample>& sample_table() {
  using row = rows<sample>;
  static const table<sample> result{
    row::duration("wait", &sample::wait, {millis{10}, millis{3'600'000}},
                  "How long to wait."),
    required(
      row::integer("count", &sample::count, between(1, 10), "How many.")),
    row::number("share", &sample::share, unit_interval(), "Which share."),
    row::flag("on", &sample::on, "Whether it runs."),
    row::choice("mode", &sample::mode,
                std::vector<std::pair<std::string_view, std::string>>{
                  {"fast", "fast"}, {"slow", "slow"}},
                "How it runs."),
  };
  return result;
}

/// Walks `text` through the sample table; returns the problems, one per
/// line, and the result in `out`.
std::string problems(const std::string& text, sample& out,
                     walk_result* given = nullptr) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  BOOST_REQUIRE(!doc.HasParseError());
  loader l{""};
  auto res = l.walk(doc, "s", sample_table(), out);
  if (given != nullptr)
    *given = res;
  std::string result;
  for (auto& err : l.take_errors())
    result += err.to_string() + "\n";
  return result;
}

std::string problems(const std::string& text) {
  sample out;
  return problems(text, out);
}

} // namespace

BOOST_AUTO_TEST_SUITE(field_tables)

BOOST_AUTO_TEST_CASE(a_duration_row_checks_its_minimum_and_maximum) {
  BOOST_TEST(problems(R"({"count": 1, "wait": "5ms"})")
             == "s.wait: must be at least 10ms, got 5ms\n");
  BOOST_TEST(problems(R"({"count": 1, "wait": "2h"})")
             == "s.wait: must be at most 1h, got 2h\n");
  sample out;
  BOOST_TEST(problems(R"({"count": 1, "wait": "1h"})", out) == "");
  BOOST_TEST(out.wait.count() == 3'600'000);
}

BOOST_AUTO_TEST_CASE(an_integer_row_checks_its_range) {
  BOOST_TEST(problems(R"({"count": 11})")
             == "s.count: must be between 1 and 10, got 11\n");
  BOOST_TEST(problems(R"({"count": 0})")
             == "s.count: must be between 1 and 10, got 0\n");
  BOOST_TEST(problems(R"({"count": -2})") == "s.count: must be >= 0, got -2\n");
  BOOST_TEST(problems(R"({"count": 1.5})")
             == "s.count: expected an integer, got a decimal number\n");
  sample out;
  BOOST_TEST(problems(R"({"count": 10})", out) == "");
  BOOST_TEST(out.count == 10u);
}

BOOST_AUTO_TEST_CASE(number_bounds_word_each_kind_of_range) {
  loader l{""};
  rapidjson::Value two{2.0};
  rapidjson::Value zero{0.0};
  BOOST_TEST(!l.number(two, "a", unit_interval()));
  BOOST_TEST(!l.number(zero, "b", positive()));
  BOOST_TEST(!l.number(zero, "c", {0.0, true, 1.0, false}));
  BOOST_TEST(!l.number(two, "d", {0.0, false, 1.0, true}));
  BOOST_TEST(!l.number(zero, "e", at_least(1.0)));
  BOOST_TEST((l.number(two, "f", at_least(1.0)) == 2.0));
  std::string text;
  for (auto& err : l.take_errors())
    text += err.to_string() + "\n";
  BOOST_TEST(text
             == "a: must be between 0 and 1, got 2\n"
                "b: must be > 0, got 0\n"
                "c: must be above 0, got 0\n"
                "d: must be at least 0 and below 1, got 2\n"
                "e: must be >= 1, got 0\n");
}

BOOST_AUTO_TEST_CASE(the_walker_reports_unknown_duplicate_and_missing_keys) {
  BOOST_TEST(problems(R"({"wiat": "1s", "on": true, "on": false})")
             == "s.wiat: unknown key (did you mean \"wait\"?)\n"
                "s.on: duplicate key\n"
                "s.count: missing required key\n");
  BOOST_TEST(problems(R"({"count": 2, "mode": "warp", "on": 1})")
             == "s.mode: expected \"fast\" or \"slow\", got \"warp\"\n"
                "s.on: expected a boolean, got an integer\n");
}

BOOST_AUTO_TEST_CASE(the_walker_says_which_keys_were_given_and_valid) {
  sample out;
  walk_result given;
  BOOST_TEST(
    problems(R"({"count": 2, "share": 7, "mode": "slow"})", out, &given)
    == "s.share: must be between 0 and 1, got 7\n");
  BOOST_TEST(given.valid("count"));
  BOOST_TEST(given.has("share"));
  BOOST_TEST(!given.valid("share"));
  BOOST_TEST(!given.has("wait"));
  BOOST_TEST(out.mode == "slow");
  // A rejected value leaves the default in place.
  BOOST_TEST(out.share == 0.5);
}

BOOST_AUTO_TEST_CASE(rows_document_type_default_and_bounds) {
  auto doc = document("## `s`", sample_table());
  BOOST_REQUIRE_EQUAL(doc.rows.size(), 5u);
  BOOST_TEST(doc.rows[0].type == "duration");
  BOOST_TEST(doc.rows[0].default_text == "`\"5s\"`");
  BOOST_TEST(doc.rows[0].doc == "How long to wait. From `10ms` to `1h`.");
  BOOST_TEST(doc.rows[1].default_text == "**required**");
  BOOST_TEST(doc.rows[1].doc == "How many. 1 to 10.");
  BOOST_TEST(doc.rows[2].default_text == "`0.5`");
  BOOST_TEST(doc.rows[3].type == "bool");
  BOOST_TEST(doc.rows[3].default_text == "`true`");
  BOOST_TEST(doc.rows[4].default_text == "`\"fast\"`");
}

BOOST_AUTO_TEST_SUITE_END()
