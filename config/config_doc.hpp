// The documentation view of the config loader's field tables: one table per
// section of docs/configuration.md, rendered as Markdown or checked against it.
#pragma once

#include <string>
#include <vector>

namespace dynserv {

/// One row of a key table in docs/configuration.md.
struct field_doc {
  /// The key, e.g. "poll_interval".
  std::string key;
  /// The "type" column, e.g. "duration".
  std::string type;
  /// The "default" column as Markdown, e.g. `"5s"`, none or **required**.
  std::string default_text;
  /// One line on what the key does, with its bounds.
  std::string doc;
};

/// The keys of one JSON object of the config file.
struct table_doc {
  /// The line of docs/configuration.md that the table follows, e.g.
  /// "## `timing`" or "Type `fixed`:".
  std::string heading;
  std::vector<field_doc> rows;
};

/// Every key table of the config file, in the order of
/// docs/configuration.md; built from the loader's field tables.
std::vector<table_doc> config_tables();

/// The table as Markdown: the header, the separator and one row per key
/// ("| `key` | type | default | doc |"), each line ending in '\n'.
std::string to_markdown(const table_doc& table);

} // namespace dynserv
