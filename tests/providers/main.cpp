// Entry point of the provider tests (backoff, rate limiter, simulated cloud).
#define BOOST_TEST_MODULE test_providers
#include <boost/test/unit_test.hpp>
