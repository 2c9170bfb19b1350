// Entry point of the dynserv-cloudsim tests.
#define BOOST_TEST_MODULE test_cloudsim
#include <boost/test/unit_test.hpp>
