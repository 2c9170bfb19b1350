// docs/configuration.md cannot drift from the loader: every key of every
// field table appears in the right table of the docs with its type and
// default, and the docs list no key that the loader does not know.
#include <boost/test/unit_test.hpp>

#include "config/config_doc.hpp"
#include "config/node_config.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

using namespace dynserv;

namespace {

std::vector<std::string> doc_lines() {
  std::ifstream in{DYNSERV_DOCS_DIR "/configuration.md"};
  BOOST_REQUIRE_MESSAGE(in, "cannot read docs/configuration.md");
  std::vector<std::string> result;
  for (std::string line; std::getline(in, line);)
    result.push_back(line);
  return result;
}

/// The cells of a Markdown table row ("| a | b |" -> {"a", "b"}).
std::vector<std::string> cells_of(const std::string& line) {
  std::vector<std::string> result;
  size_t pos = 1;
  while (pos < line.size()) {
    auto end = line.find(" | ", pos);
    if (end == std::string::npos)
      end = line.size() - 2;
    auto cell = line.substr(pos, end - pos);
    if (!cell.empty() && cell.front() == ' ')
      cell.erase(0, 1);
    result.push_back(cell);
    pos = end + 2;
  }
  return result;
}

/// Key -> {type, default} of the first key table after the line `heading`;
/// nothing when the heading is not in the docs.
std::optional<std::map<std::string, field_doc>>
documented(const std::vector<std::string>& lines, const std::string& heading) {
  auto i = std::find(lines.begin(), lines.end(), heading);
  if (i == lines.end())
    return std::nullopt;
  i = std::find_if(i, lines.end(), [](const std::string& line) {
    return line.rfind("| key |", 0) == 0;
  });
  std::map<std::string, field_doc> result;
  if (i == lines.end())
    return result;
  for (i += 2; i != lines.end() && i->rfind("|", 0) == 0; ++i) {
    auto cells = cells_of(*i);
    BOOST_REQUIRE_MESSAGE(cells.size() >= 3, "short row: " << *i);
    auto key = cells[0];
    if (key.size() > 2 && key.front() == '`' && key.back() == '`')
      key = key.substr(1, key.size() - 2);
    result[key] = field_doc{key, cells[1], cells[2], {}};
  }
  return result;
}

} // namespace

BOOST_AUTO_TEST_SUITE(config_docs)

BOOST_AUTO_TEST_CASE(every_table_key_is_documented_with_its_type_and_default) {
  auto lines = doc_lines();
  for (auto& table : config_tables()) {
    BOOST_TEST_CONTEXT(table.heading) {
      auto docs = documented(lines, table.heading);
      BOOST_REQUIRE_MESSAGE(docs, "heading missing in the docs");
      for (auto& row : table.rows) {
        BOOST_TEST_CONTEXT(row.key) {
          auto i = docs->find(row.key);
          if (i == docs->end()) {
            BOOST_ERROR("key not documented");
            continue;
          }
          BOOST_TEST(i->second.type == row.type);
          BOOST_TEST(i->second.default_text == row.default_text);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(the_docs_list_no_key_the_loader_does_not_know) {
  auto lines = doc_lines();
  for (auto& table : config_tables()) {
    BOOST_TEST_CONTEXT(table.heading) {
      auto docs = documented(lines, table.heading);
      BOOST_REQUIRE(docs);
      std::set<std::string> known;
      for (auto& row : table.rows)
        known.insert(row.key);
      for (auto& [key, row] : *docs)
        BOOST_TEST(known.count(key) == 1u, "unknown key " << key);
    }
  }
}

BOOST_AUTO_TEST_CASE(tables_come_from_the_loaders_defaults_and_bounds) {
  auto tables = config_tables();
  auto find = [&](const std::string& heading, const std::string& key) {
    for (auto& table : tables)
      if (table.heading == heading)
        for (auto& row : table.rows)
          if (row.key == key)
            return row;
    BOOST_FAIL("no " << heading << " " << key);
    return field_doc{};
  };
  // Defaults are rendered from the config structs, not written twice.
  auto poll = find("## `timing`", "poll_interval");
  BOOST_TEST(poll.default_text
             == "`\"" + format_duration(default_poll_interval) + "\"`");
  BOOST_TEST(poll.doc.find("At least `10ms`.") != std::string::npos);
  auto body = find("## `http`", "body_limit");
  BOOST_TEST(body.default_text
             == "`" + std::to_string(default_http_body_limit) + "`");
  BOOST_TEST(body.doc.find("1 to 67108864.") != std::string::npos);
  BOOST_TEST(find("## `node`", "data_dir").default_text == "**required**");
  BOOST_TEST(find("## `http`", "listen").default_text
             == "`\"127.0.0.1:8080\"`");
}

BOOST_AUTO_TEST_CASE(markdown_has_a_header_and_one_row_per_key) {
  table_doc table{"## `x`",
                  {{"a", "duration", "`\"1s\"`", "One."},
                   {"b", "bool", "`false`", "Two."}}};
  BOOST_TEST(to_markdown(table)
             == "| key | type | default | meaning |\n"
                "|---|---|---|---|\n"
                "| `a` | duration | `\"1s\"` | One. |\n"
                "| `b` | bool | `false` | Two. |\n");
}

BOOST_AUTO_TEST_SUITE_END()
