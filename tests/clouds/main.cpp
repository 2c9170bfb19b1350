// Entry point of test_clouds: the real node against dynserv-cloudsim.
#define BOOST_TEST_MODULE dynserv clouds
#include <boost/test/unit_test.hpp>
