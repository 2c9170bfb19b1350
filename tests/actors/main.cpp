// Entry point of the deterministic actor tests.
#define BOOST_TEST_MODULE test_actors
#include <boost/test/unit_test.hpp>
