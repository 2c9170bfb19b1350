// Entry point of test_bench: the benchmark's support code.
#define BOOST_TEST_MODULE dynserv bench
#include <boost/test/unit_test.hpp>
