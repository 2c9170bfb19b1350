// dynserv-config-doc: prints every key table of the config file as Markdown,
// each under the line of docs/configuration.md that it belongs after.
#include <cstdio>

#include "config/config_doc.hpp"

int main() {
  for (auto& table : dynserv::config_tables())
    std::printf("%s\n\n%s\n", table.heading.c_str(),
                dynserv::to_markdown(table).c_str());
  return 0;
}
