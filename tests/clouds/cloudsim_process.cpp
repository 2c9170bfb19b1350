// Starts dynserv-cloudsim for end-to-end tests and talks to its control API.
#include "tests/clouds/cloudsim_process.hpp"

#include <boost/test/unit_test.hpp>

#include <thread>

#include "tests/integration/harness.hpp"

namespace dynserv::test {

const std::string& cloudsim_binary() {
  static const std::string path = DYNSERV_CLOUDSIM_BINARY;
  return path;
}

cloudsim_process::cloudsim_process(const std::string& dir,
                                   std::vector<std::string> args,
                                   const std::string& ca_file)
  : dir_(dir) {
  std::vector<std::string> argv{cloudsim_binary(), "--listen", "127.0.0.1:0"};
  argv.insert(argv.end(), args.begin(), args.end());
  proc_ = std::make_unique<child_process>(argv, dir + "/cloudsim.out",
                                          dir + "/cloudsim.err");
  const std::string marker = "dynserv-cloudsim listening on ";
  auto problem = poll_until(std::chrono::seconds{30}, [&]() -> std::string {
    auto out = read_file(dir + "/cloudsim.out");
    auto at = out.find(marker);
    auto eol = at == std::string::npos ? at : out.find('\n', at);
    if (eol == std::string::npos)
      return proc_->running() ? "no address printed yet"
                              : "the simulator exited";
    url_ = out.substr(at + marker.size(), eol - at - marker.size());
    return "";
  });
  BOOST_REQUIRE_MESSAGE(problem.empty(), problem << "\n" << log_tail());
  http_client_options opts;
  opts.base_url = url_;
  opts.ca_file = ca_file;
  std::string error;
  client_ = make_http_client(opts, &error);
  BOOST_REQUIRE_MESSAGE(client_, error);
}

std::string cloudsim_process::base_url(const std::string& provider) const {
  if (provider == "upcloud")
    return url_ + "/upcloud/1.3";
  if (provider == "hetzner")
    return url_ + "/hetzner/v1";
  return url_ + "/digitalocean/v2";
}

rapidjson::Document cloudsim_process::control(const std::string& method,
                                              const std::string& target,
                                              const std::string& body) {
  http_request req;
  req.method = method;
  req.target = target;
  req.body = body;
  if (!body.empty())
    req.headers.emplace_back("Content-Type", "application/json");
  auto res = client_->send(req);
  BOOST_REQUIRE_MESSAGE(res.ok(),
                        method << " " << target << ": " << res.detail);
  BOOST_REQUIRE_MESSAGE(res.response.status / 100 == 2,
                        method << " " << target << ": " << res.response.status
                               << " " << res.response.body);
  rapidjson::Document doc;
  doc.Parse(res.response.body.c_str());
  BOOST_REQUIRE_MESSAGE(!doc.HasParseError(),
                        method << " " << target
                               << ": not JSON: " << res.response.body);
  return doc;
}

std::vector<sim_server>
cloudsim_process::inventory(const std::string& provider) {
  auto doc = control("GET", "/_sim/inventory?provider=" + provider);
  const rapidjson::Value* list = nullptr;
  if (doc.IsArray())
    list = &doc;
  else if (doc.IsObject() && doc.HasMember("servers"))
    list = &doc["servers"];
  BOOST_REQUIRE_MESSAGE(list && list->IsArray(), "inventory is not a list");
  std::vector<sim_server> result;
  auto str = [](const rapidjson::Value& obj, const char* key) {
    if (!obj.HasMember(key))
      return std::string{};
    const auto& v = obj[key];
    if (v.IsString())
      return std::string{v.GetString(), v.GetStringLength()};
    if (v.IsInt64())
      return std::to_string(v.GetInt64());
    return std::string{};
  };
  for (const auto& item : list->GetArray()) {
    sim_server srv;
    srv.provider = str(item, "provider");
    srv.id = str(item, "id");
    srv.name = str(item, "name");
    srv.state = str(item, "state");
    if (item.HasMember("labels") && item["labels"].IsObject())
      for (const auto& kv : item["labels"].GetObject())
        if (kv.value.IsString())
          srv.labels[kv.name.GetString()] = kv.value.GetString();
    if (item.HasMember("tags") && item["tags"].IsArray())
      for (const auto& tag : item["tags"].GetArray()) {
        if (!tag.IsString())
          continue;
        std::string text = tag.GetString();
        auto colon = text.find(':');
        if (colon != std::string::npos)
          srv.labels[text.substr(0, colon)] = text.substr(colon + 1);
      }
    result.push_back(std::move(srv));
  }
  return result;
}

std::string cloudsim_process::log_tail() const {
  auto text = read_file(dir_ + "/cloudsim.err");
  return text.size() > 3000 ? text.substr(text.size() - 3000) : text;
}

} // namespace dynserv::test
