// Entry point of the metrics tests (registry, exposition format, node metrics).
#define BOOST_TEST_MODULE test_metrics
#include <boost/test/unit_test.hpp>
