// Helpers of the HTTP provider tests: a settable clock, JSON access and a
// runner for tables of (operation x answer) -> expected error.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <rapidjson/document.h>

#include "messages/types.hpp"
#include "providers/provider.hpp"
#include "tests/fixtures/scripted_transport.hpp"

namespace dynserv::test {

/// 2023-11-14T22:13:20Z.
constexpr int64_t t0 = 1'700'000'000'000;

/// A clock the test moves by hand.
struct manual_clock {
  int64_t now = t0;

  std::function<int64_t()> fn() {
    return [this] { return now; };
  }
};

/// Parses `text`, failing the test unless it is JSON.
inline rapidjson::Document parse_json_or_fail(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  BOOST_REQUIRE_MESSAGE(!doc.HasParseError(), "not JSON: " << text);
  return doc;
}

/// The value of header `name` of `req`, "" if absent.
inline std::string header_of(const http_request& req, const char* name) {
  return find_header(req.headers, name).value_or("");
}

/// The labels dynserv puts on a server.
inline label_map standard_labels() {
  return {{labels::owner, "node1"},
          {labels::id, "0b8f7c1e-1111-4222-8333-444455556666"},
          {labels::pool, "web"}};
}

/// A create request for pool "web" with `spec`.
inline create_request make_create(std::string spec) {
  create_request req;
  req.server_id = "0b8f7c1e-1111-4222-8333-444455556666";
  req.name = "node1-web-0b8f7c1e";
  req.pool = "web";
  req.labels = standard_labels();
  req.spec = std::move(spec);
  return req;
}

/// Calls operation `op` ("create", "get", "list", "stop", "start",
/// "reboot", "delete") on `p`.
inline provider_reply call_op(provider& p, const std::string& op,
                              const create_request& req,
                              const std::string& id) {
  if (op == "create")
    return p.create(req);
  if (op == "get")
    return p.get(id);
  if (op == "list")
    return p.list({{labels::owner, "node1"}});
  if (op == "stop")
    return p.stop(id);
  if (op == "start")
    return p.start(id);
  if (op == "reboot")
    return p.reboot(id);
  if (op == "delete")
    return p.destroy(id);
  BOOST_FAIL("unknown op " << op);
  return {};
}

/// One row of an error table.
struct error_row {
  /// Operation, see `call_op`.
  std::string op;
  /// HTTP status, or 0 for a transport failure.
  int status = 0;
  http_failure failure = http_failure::none;
  std::string body;
  http_headers headers;
  error_kind kind = error_kind::none;
  std::string code;
  /// Expected `retry_after_ms`; -1 leaves it unchecked.
  int64_t retry_after_ms = -1;
};

using provider_factory
  = std::function<provider_ptr(std::shared_ptr<http_script>, manual_clock&)>;

/// Runs every row against a fresh provider that gets exactly one answer.
inline void run_error_table(const std::vector<error_row>& rows,
                            const provider_factory& make,
                            const create_request& req, const std::string& id) {
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    BOOST_TEST_CONTEXT("row " << i << ": " << row.op << " " << row.status << " "
                              << to_string(row.failure) << " "
                              << row.body.substr(0, 60)) {
      auto script = std::make_shared<http_script>();
      manual_clock clock;
      if (row.status == 0)
        script->fail(row.failure);
      else
        script->answer(row.status, row.body, row.headers);
      auto p = make(script, clock);
      auto reply = call_op(*p, row.op, req, id);
      BOOST_CHECK_EQUAL(to_string(reply.error.kind), to_string(row.kind));
      BOOST_CHECK_EQUAL(reply.error.code, row.code);
      if (row.retry_after_ms >= 0)
        BOOST_CHECK_EQUAL(reply.error.retry_after_ms, row.retry_after_ms);
      BOOST_CHECK(reply.servers.empty());
      BOOST_CHECK_EQUAL(reply.requests, 1u);
      BOOST_CHECK_EQUAL(script->pending(), 0u);
    }
  }
}

/// Header list with a JSON content type of RFC 7807.
inline http_headers problem_json() {
  return {{"Content-Type", "application/problem+json"}};
}

inline http_headers html() {
  return {{"Content-Type", "text/html"}};
}

} // namespace dynserv::test
