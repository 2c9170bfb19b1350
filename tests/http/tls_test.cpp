// HTTPS between the client and the server with certificates made by the
// openssl command-line tool: trust, verification failures, plain vs TLS.
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <unistd.h>

#include "tests/fixtures/temp_dir.hpp"
#include "tests/http/http_fixture.hpp"
#include "tests/http/raw_socket.hpp"
#include "tests/integration/process.hpp"

using namespace dynserv;
using namespace dynserv::test;
using namespace std::chrono_literals;

namespace {

/// Finds `name` in PATH; "" if missing.
std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs{path ? path : "/usr/bin:/bin"};
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    auto candidate = std::filesystem::path{dir} / name;
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec)
        && ::access(candidate.c_str(), X_OK) == 0)
      return candidate.string();
  }
  return {};
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out{path};
  out << text;
  BOOST_REQUIRE_MESSAGE(out.good(), "cannot write " << path);
}

/// A test CA, a server certificate for 127.0.0.1 and localhost, and one for
/// another name only; made once per test run.
struct certificates {
  temp_dir dir{"dynserv-http-tls"};
  std::string openssl;
  std::string ca;
  std::string server_cert;
  std::string server_key;
  std::string other_cert;
  std::string other_key;

  certificates() {
    openssl = find_program("openssl");
    BOOST_REQUIRE_MESSAGE(!openssl.empty(),
                          "the openssl command-line tool is not in PATH; "
                          "install it (tools/setup.sh installs it)");
    auto p = [&](const char* name) { return dir.path + "/" + name; };
    ca = p("ca.pem");
    write_text(p("ca.cnf"), "[req]\ndistinguished_name = dn\nprompt = no\n"
                            "x509_extensions = v3_ca\n"
                            "[dn]\nCN = dynserv test CA\n"
                            "[v3_ca]\n"
                            "basicConstraints = critical,CA:TRUE\n"
                            "keyUsage = critical,keyCertSign,cRLSign\n"
                            "subjectKeyIdentifier = hash\n");
    run({openssl, "req", "-x509", "-config", p("ca.cnf"), "-newkey", "ec",
         "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
         p("ca.key"), "-out", ca, "-days", "2"});
    server_cert = p("server.pem");
    server_key = p("server.key");
    leaf("server", "localhost", "IP:127.0.0.1, DNS:localhost");
    other_cert = p("other.pem");
    other_key = p("other.key");
    leaf("other", "other.example", "DNS:other.example");
  }

  void leaf(const std::string& name, const std::string& cn,
            const std::string& san) {
    auto p = [&](const std::string& suffix) {
      return dir.path + "/" + name + suffix;
    };
    write_text(p(".cnf"), "[req]\ndistinguished_name = dn\nprompt = no\n"
                          "[dn]\nCN = "
                            + cn + "\n");
    write_text(p(".ext"), "basicConstraints = CA:FALSE\n"
                          "keyUsage = digitalSignature\n"
                          "extendedKeyUsage = serverAuth\n"
                          "subjectAltName = "
                            + san + "\n");
    run({openssl, "req", "-new", "-config", p(".cnf"), "-newkey", "ec",
         "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
         p(".key"), "-out", p(".csr")});
    run({openssl, "x509", "-req", "-in", p(".csr"), "-CA", dir.path + "/ca.pem",
         "-CAkey", dir.path + "/ca.key", "-CAcreateserial", "-out", p(".pem"),
         "-days", "2", "-extfile", p(".ext")});
  }

  void run(const std::vector<std::string>& argv) {
    auto res = run_to_completion(argv, dir.path + "/openssl", 30s);
    BOOST_REQUIRE_MESSAGE(
      !res.timed_out && res.status.exited && res.status.code == 0,
      "openssl failed (" << res.status.to_string() << "): " << res.err);
  }
};

const certificates& certs() {
  static certificates instance;
  return instance;
}

std::unique_ptr<http_server> tls_server(const std::string& cert,
                                        const std::string& key) {
  auto opts = loopback_options();
  opts.tls_certificate = cert;
  opts.tls_key = key;
  return start_server(opts, [](http_request req, auto ex) {
    ex->respond(
      http_response{200,
                    {{"Content-Type", "text/plain"}, {"X-Remote", req.remote}},
                    "secure " + req.target});
  });
}

http_client_options https_options(const std::string& host, uint16_t port) {
  http_client_options o;
  o.base_url = "https://" + host + ":" + std::to_string(port);
  o.connect_timeout = 5s;
  o.read_timeout = 5s;
  return o;
}

} // namespace

BOOST_AUTO_TEST_SUITE(tls_tests)

BOOST_AUTO_TEST_CASE(client_trusting_the_ca_gets_through) {
  auto server = tls_server(certs().server_cert, certs().server_key);
  for (auto host : {"127.0.0.1", "localhost"}) {
    auto o = https_options(host, server->port());
    o.ca_file = certs().ca;
    auto client = make_client(o);
    auto res = client->send(get("/a"));
    BOOST_TEST_REQUIRE(res.ok(), host << ": " << res.detail);
    BOOST_TEST(res.response.status == 200);
    BOOST_TEST(res.response.body == "secure /a");
    // Kept alive over TLS too.
    auto again = client->send(get("/b"));
    BOOST_TEST_REQUIRE(again.ok(), again.detail);
    BOOST_TEST(*find_header(again.response.headers, "x-remote")
               == *find_header(res.response.headers, "x-remote"));
  }
}

BOOST_AUTO_TEST_CASE(client_without_the_ca_fails_verification) {
  auto server = tls_server(certs().server_cert, certs().server_key);
  auto client = make_client(https_options("127.0.0.1", server->port()));
  auto res = client->send(get("/"));
  BOOST_TEST((res.failure == http_failure::connect), to_string(res.failure));
  BOOST_TEST(res.detail.find("certificate verify failed") != std::string::npos,
             res.detail);
}

BOOST_AUTO_TEST_CASE(client_without_verification_gets_through) {
  auto server = tls_server(certs().server_cert, certs().server_key);
  auto o = https_options("127.0.0.1", server->port());
  o.tls_verify = false;
  auto client = make_client(o);
  auto res = client->send(get("/"));
  BOOST_TEST_REQUIRE(res.ok(), res.detail);
  BOOST_TEST(res.response.body == "secure /");
}

BOOST_AUTO_TEST_CASE(certificate_for_another_name_is_refused) {
  auto server = tls_server(certs().other_cert, certs().other_key);
  for (auto host : {"127.0.0.1", "localhost"}) {
    auto o = https_options(host, server->port());
    o.ca_file = certs().ca;
    auto client = make_client(o);
    auto res = client->send(get("/"));
    BOOST_TEST((res.failure == http_failure::connect), to_string(res.failure));
    BOOST_TEST(res.detail.find("certificate verify failed")
                 != std::string::npos,
               res.detail);
    BOOST_TEST(res.detail.find("does not match") != std::string::npos,
               res.detail);
  }
}

BOOST_AUTO_TEST_CASE(plain_client_against_tls_server_fails_cleanly) {
  auto server = tls_server(certs().server_cert, certs().server_key);
  http_client_options o;
  o.base_url = "http://127.0.0.1:" + std::to_string(server->port());
  o.read_timeout = 5s;
  auto plain = make_client(o);
  auto res = plain->send(get("/"));
  BOOST_TEST(!res.ok());
  BOOST_TEST(((res.failure == http_failure::lost)
              || (res.failure == http_failure::protocol)),
             to_string(res.failure) << ": " << res.detail);
  // The server is unharmed.
  auto good = https_options("127.0.0.1", server->port());
  good.ca_file = certs().ca;
  auto after = make_client(good)->send(get("/"));
  BOOST_TEST(after.ok(), after.detail);
}

BOOST_AUTO_TEST_CASE(tls_client_against_plain_server_fails_to_connect) {
  auto server = start_server(loopback_options(), [](http_request, auto ex) {
    ex->respond(text(200, "plain"));
  });
  auto o = https_options("127.0.0.1", server->port());
  o.ca_file = certs().ca;
  auto res = make_client(o)->send(get("/"));
  BOOST_TEST((res.failure == http_failure::connect), to_string(res.failure));
}

BOOST_AUTO_TEST_CASE(server_reports_unusable_certificates) {
  std::string error;
  auto opts = loopback_options();
  opts.tls_certificate = certs().dir.path + "/missing.pem";
  opts.tls_key = certs().server_key;
  BOOST_TEST((start_http_server(
                opts, [](auto, auto) {}, &error)
              == nullptr));
  BOOST_TEST(error.find("missing.pem") != std::string::npos, error);
  opts.tls_certificate = certs().server_cert;
  opts.tls_key = certs().other_key; // does not match the certificate
  error.clear();
  BOOST_TEST((start_http_server(
                opts, [](auto, auto) {}, &error)
              == nullptr));
  BOOST_TEST(!error.empty());
  opts.tls_key.clear();
  error.clear();
  BOOST_TEST((start_http_server(
                opts, [](auto, auto) {}, &error)
              == nullptr));
  BOOST_TEST(!error.empty());
}

BOOST_AUTO_TEST_CASE(ca_file_without_certificates_is_rejected) {
  auto bogus = certs().dir.path + "/bogus-ca.pem";
  write_text(bogus, "not a certificate\n");
  http_client_options o;
  o.base_url = "https://127.0.0.1:1";
  o.ca_file = bogus;
  std::string error;
  BOOST_TEST((make_http_client(o, &error) == nullptr));
  BOOST_TEST(error.find("bogus-ca.pem") != std::string::npos, error);
}

BOOST_AUTO_TEST_SUITE_END()
