// Test module of the HTTP API: routing and checks, then real HTTP over
// loopback against an in-process node.
#define BOOST_TEST_MODULE test_api
#include <boost/test/unit_test.hpp>
