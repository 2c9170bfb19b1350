// The sections of the config file, one reader (or table) and one
// documentation hook per role; internal to the loader (config/*.cpp).
#pragma once

#include <string>
#include <vector>

#include "config/field_table.hpp"

namespace dynserv::schema {

// -- http_config.cpp: the admin console and the HTTP API --

const table<admin_config>& admin_table();
void validate_admin(loader& l, const std::string& path, admin_config& cfg,
                    const walk_result& given);
const table<http_config>& http_table();
void validate_http(loader& l, const std::string& path, http_config& cfg,
                   const walk_result& given);
void document_endpoints(std::vector<table_doc>& out);

// -- provider_config.cpp, simulated_config.cpp: `providers` --

void read_providers(loader& l, const json& x, const std::string& path,
                    node_config& cfg);
void document_providers(std::vector<table_doc>& out);
const table<simulated_options>& simulated_table();
void document_simulated(std::vector<table_doc>& out);

// -- pool_config.cpp, policy_config.cpp: `pools` --

void read_pools(loader& l, const json& x, const std::string& path,
                node_config& cfg);
void document_pools(std::vector<table_doc>& out);
void read_policy(loader& l, const json& x, const std::string& path,
                 policy_spec& cfg);
void document_policies(std::vector<table_doc>& out);

// -- webhook_config.cpp: `webhooks` --

void read_webhooks(loader& l, const json& x, const std::string& path,
                   node_config& cfg);
void document_webhooks(std::vector<table_doc>& out);

// -- node_config.cpp: the top level and the small sections --

void document_node(std::vector<table_doc>& out);
void document_policy_defaults(std::vector<table_doc>& out);
void document_orphans(std::vector<table_doc>& out);

} // namespace dynserv::schema
