// Collects the loader's field tables in the order of docs/configuration.md
// and renders them as Markdown.
#include "config/config_doc.hpp"

#include "config/sections.hpp"

namespace dynserv {

std::vector<table_doc> config_tables() {
  using namespace schema;
  std::vector<table_doc> result;
  document_node(result);
  document_endpoints(result);
  document_policy_defaults(result);
  document_providers(result);
  document_simulated(result);
  document_pools(result);
  document_orphans(result);
  document_webhooks(result);
  return result;
}

std::string to_markdown(const table_doc& table) {
  std::string result = "| key | type | default | meaning |\n"
                       "|---|---|---|---|\n";
  for (auto& row : table.rows)
    result += "| `" + row.key + "` | " + row.type + " | " + row.default_text
              + " | " + row.doc + " |\n";
  return result;
}

} // namespace dynserv
