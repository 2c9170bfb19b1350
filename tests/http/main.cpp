// Entry point of the http/ tests (message helpers, client, server, TLS).
#define BOOST_TEST_MODULE test_http
#include <boost/test/unit_test.hpp>
