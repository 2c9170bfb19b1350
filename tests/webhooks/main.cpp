// Entry point of test_webhooks (Boost.Test generates main).
#define BOOST_TEST_MODULE test_webhooks
#include <boost/test/unit_test.hpp>
