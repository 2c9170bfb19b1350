// dynserv-cloudsim: serves the simulated cloud APIs over HTTP(S) until
// SIGINT or SIGTERM.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <pthread.h>
#include <string>
#include <vector>

#include "cloudsim/cloud_sim.hpp"
#include "cloudsim/cloudsim_options.hpp"
#include "cloudsim/delayed_replies.hpp"
#include "http/http_server.hpp"

using namespace dynserv;
using namespace dynserv::cloudsim;

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string error;
  auto cli = parse_cloudsim_args(args, &error);
  if (!cli) {
    std::cerr << "dynserv-cloudsim: " << error << '\n';
    return 2;
  }
  if (cli->help) {
    std::cout << cloudsim_usage();
    return 0;
  }
  // Block the stop signals before any thread starts so that every thread
  // inherits the mask and only sigwait() below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  cloud_sim sim{cli->sim};
  delayed_replies timer;
  http_server_options opts;
  opts.host = cli->host;
  opts.port = cli->port;
  opts.tls_certificate = cli->tls_cert;
  opts.tls_key = cli->tls_key;
  opts.threads = 2;
  auto handler = [&sim, &timer](http_request req,
                                std::shared_ptr<http_exchange> ex) {
    auto reply = sim.handle(req);
    auto delay = reply.delay;
    auto finish = [ex, reply = std::move(reply)]() mutable {
      if (reply.drop_connection)
        ex->abort();
      else
        ex->respond(std::move(reply.response));
    };
    if (delay.count() > 0)
      timer.schedule(delay, std::move(finish));
    else
      finish();
  };
  auto server = start_http_server(opts, handler, &error);
  if (!server) {
    std::cerr << "dynserv-cloudsim: cannot serve on " << cli->host << ':'
              << cli->port << ": "
              << (error.empty() ? std::string{"no HTTP server available"}
                                : error)
              << '\n';
    return 1;
  }
  auto host = cli->host.find(':') != std::string::npos ? '[' + cli->host + ']'
                                                       : cli->host;
  std::cout << "dynserv-cloudsim listening on "
            << (cli->sim.tls ? "https://" : "http://") << host << ':'
            << server->port() << std::endl;
  int sig = 0;
  sigwait(&stop_signals, &sig);
  // Answer or close delayed exchanges first so the server's grace period is
  // not spent waiting for them.
  timer.stop();
  server->stop(std::chrono::seconds{2});
  return 0;
}
