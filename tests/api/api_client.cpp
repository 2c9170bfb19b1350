// Test helpers for the HTTP API: in-process node, client, SSE reader.
#include "tests/api/api_client.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "caf/exit_reason.hpp"
#include "caf/send.hpp"
#include "spdlog/spdlog.h"

#include "storage/memory_store.hpp"

namespace dynserv::test {

// -- api_reply ----------------------------------------------------------------

std::string api_reply::error_code() const {
  if (json.IsObject() && json.HasMember("error") && json["error"].IsObject()
      && json["error"].HasMember("code") && json["error"]["code"].IsString())
    return json["error"]["code"].GetString();
  return "";
}

std::string api_reply::error_message() const {
  if (json.IsObject() && json.HasMember("error") && json["error"].IsObject()
      && json["error"].HasMember("message")
      && json["error"]["message"].IsString())
    return json["error"]["message"].GetString();
  return "";
}

std::string api_reply::header(const std::string& name) const {
  return find_header(headers, name).value_or("");
}

// -- api_client ---------------------------------------------------------------

api_client::api_client(uint16_t port) {
  http_client_options opts;
  opts.base_url = "http://127.0.0.1:" + std::to_string(port);
  opts.connect_timeout = 5s;
  opts.read_timeout = 30s;
  std::string error;
  transport_ = make_http_client(opts, &error);
  BOOST_REQUIRE_MESSAGE(transport_, "cannot make a client: " << error);
}

api_reply api_client::send(const std::string& method, const std::string& target,
                           const std::string& body,
                           std::optional<std::string> token,
                           http_headers extra) {
  http_request req;
  req.method = method;
  req.target = target;
  req.body = body;
  req.headers = std::move(extra);
  if (token)
    req.headers.emplace_back("Authorization", "Bearer " + *token);
  auto res = transport_->send(req);
  BOOST_REQUIRE_MESSAGE(res.ok(), method << " " << target << ": no answer ("
                                         << to_string(res.failure) << ": "
                                         << res.detail << ")");
  api_reply reply;
  reply.status = res.response.status;
  reply.headers = std::move(res.response.headers);
  reply.body = std::move(res.response.body);
  auto type = find_header(reply.headers, "Content-Type").value_or("");
  if (type.rfind("application/json", 0) == 0) {
    reply.json.Parse(reply.body.data(), reply.body.size());
    BOOST_CHECK_MESSAGE(!reply.json.HasParseError(),
                        method << " " << target
                               << ": invalid JSON: " << reply.body);
  }
  return reply;
}

// -- sse_reader ---------------------------------------------------------------

sse_reader::sse_reader(uint16_t port, const std::string& target,
                       const http_headers& headers) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  BOOST_REQUIRE(fd_ >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_REQUIRE_MESSAGE(
    ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0,
    "connect failed: " << std::strerror(errno));
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Accept: text/event-stream\r\n";
  for (const auto& [name, value] : headers)
    req += name + ": " + value + "\r\n";
  req += "\r\n";
  BOOST_REQUIRE(::send(fd_, req.data(), req.size(), MSG_NOSIGNAL)
                == static_cast<ssize_t>(req.size()));
}

sse_reader::~sse_reader() {
  if (fd_ >= 0)
    ::close(fd_);
}

bool sse_reader::read_some(std::chrono::milliseconds timeout) {
  if (closed_)
    return false;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0)
    return false;
  char buf[4096];
  auto n = ::recv(fd_, buf, sizeof(buf), 0);
  if (n <= 0) {
    closed_ = true;
    return false;
  }
  raw_.append(buf, static_cast<size_t>(n));
  return true;
}

int sse_reader::status(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (status_ == 0) {
    auto end = raw_.find("\r\n\r\n");
    if (end != std::string::npos) {
      head_ = raw_.substr(0, end + 2);
      raw_.erase(0, end + 4);
      // "HTTP/1.1 200 OK"
      auto sp = head_.find(' ');
      status_ = sp == std::string::npos ? -1
                                        : std::atoi(head_.c_str() + sp + 1);
      std::string lower = head_;
      for (auto& c : lower)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      chunked_ = lower.find("transfer-encoding: chunked") != std::string::npos;
      break;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || (!read_some(left) && closed_))
      break;
  }
  return status_;
}

void sse_reader::decode() {
  if (chunked_) {
    for (;;) {
      auto eol = raw_.find("\r\n");
      if (eol == std::string::npos)
        break;
      auto size = std::stoul(raw_.substr(0, eol), nullptr, 16);
      if (raw_.size() < eol + 2 + size + 2)
        break;
      body_.append(raw_, eol + 2, size);
      raw_.erase(0, eol + 2 + size + 2);
      if (size == 0) {
        closed_ = true;
        break;
      }
    }
  } else {
    body_ += raw_;
    raw_.clear();
  }
  // Complete lines only; a blank line ends an event.
  for (;;) {
    auto eol = body_.find('\n');
    if (eol == std::string::npos)
      break;
    auto line = body_.substr(0, eol);
    body_.erase(0, eol + 1);
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (line.empty()) {
      if (!current_.id.empty() || !current_.data.empty())
        events_.push_back(current_);
      current_ = sse_message{};
    } else if (line.front() == ':') {
      comments_.push_back(line.substr(1));
    } else {
      auto colon = line.find(':');
      auto field = line.substr(0, colon);
      auto value = colon == std::string::npos ? "" : line.substr(colon + 1);
      if (!value.empty() && value.front() == ' ')
        value.erase(0, 1);
      if (field == "id")
        current_.id = value;
      else if (field == "event")
        current_.event = value;
      else if (field == "data")
        current_.data += (current_.data.empty() ? "" : "\n") + value;
    }
  }
}

bool sse_reader::read_until(
  const std::function<bool(const std::vector<sse_message>&)>& pred,
  std::chrono::milliseconds timeout) {
  if (status_ == 0 && status(timeout) == 0)
    return false;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    decode();
    if (pred(events_))
      return true;
    if (closed_)
      return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return false;
    read_some(left);
  }
}

bool sse_reader::wait_closed(std::chrono::milliseconds timeout) {
  if (status_ == 0)
    status(timeout);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!closed_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return false;
    read_some(left);
    decode();
  }
  return true;
}

// -- api_node -----------------------------------------------------------------

api_node::api_node() {
  cfg.name = "api-test";
  cfg.data_dir = tmp.path;
  cfg.reconcile_interval = 1s;
  cfg.max_servers = 20;
  cfg.timing.poll_interval = 20ms;
  cfg.timing.backoff_initial = 20ms;
  cfg.timing.backoff_max = 200ms;
  cfg.timing.call_timeout = 10s;
  provider_config pc;
  pc.name = "sim";
  pc.type = "simulated";
  pc.simulated.time_scale = 100.0;
  pc.simulated.jitter = 0.0;
  cfg.providers.emplace("sim", pc);
  for (auto [name, max] : {std::pair{"default", 6}, std::pair{"batch", 4}}) {
    pool_config pool;
    pool.name = name;
    pool.provider = "sim";
    pool.desired = 0;
    pool.min = 0;
    pool.max = max;
    cfg.pools[name] = pool;
  }
  cfg.http.host = "127.0.0.1";
  cfg.http.port = 0;
  cfg.http.token = api_token;
  sys_cfg = std::make_unique<caf::actor_system_config>();
  sys_cfg->set("scheduler.max-threads", 2);
  add_dynserv_types(*sys_cfg);
  sys = std::make_unique<caf::actor_system>(*sys_cfg);
  if (std::getenv("DYNSERV_TEST_LOG") == nullptr)
    spdlog::set_level(spdlog::level::err); // refusals are logged as warnings
}

api_node::~api_node() {
  if (endpoint)
    endpoint->stop(1s);
  if (api)
    api->shutdown();
  if (server)
    server->stop(1s);
  if (rt)
    stop_node();
  // The actor system's destructor waits for every actor (event streams end
  // at their next poll after the shutdown above).
  sys.reset();
}

void api_node::start_node() {
  node_start_options opts;
  opts.backend = make_memory_store();
  auto res = dynserv::start_node(*sys, cfg, std::move(opts));
  // (Boost builds the message even when the check passes.)
  BOOST_REQUIRE_MESSAGE(res, "start_node failed: "
                               << (res ? "" : sys->render(res.error())));
  rt = std::move(*res);
}

void api_node::start(bool public_reads, metrics_provider metrics) {
  if (!rt)
    start_node();
  cfg.http.public_reads = public_reads;
  auto res = start_http_endpoint(*sys, cfg, api_token, rt->supervisor,
                                 std::move(metrics));
  BOOST_REQUIRE_MESSAGE(res, "start_http_endpoint failed: "
                               << (res ? "" : sys->render(res.error())));
  endpoint = std::move(*res);
}

void api_node::start_api_with(http_api_options opts) {
  if (!opts.node) {
    if (!rt)
      start_node();
    opts.node = rt->supervisor;
  }
  if (opts.token.empty())
    opts.token = api_token;
  api = std::make_unique<http_api>(*sys, std::move(opts));
  http_server_options sopts;
  sopts.host = "127.0.0.1";
  sopts.port = 0;
  std::string error;
  server = start_http_server(sopts, api->handler(), &error);
  BOOST_REQUIRE_MESSAGE(server, "start_http_server failed: " << error);
}

uint16_t api_node::port() const {
  return endpoint ? endpoint->port() : server->port();
}

void api_node::stop_node() {
  dynserv::stop_node(*rt);
  rt.reset();
}

bool eventually(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred())
      return true;
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(20ms);
  }
}

} // namespace dynserv::test
