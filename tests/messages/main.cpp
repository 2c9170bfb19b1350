// Entry point of the message tests (transition table, statuses, stop order).
#define BOOST_TEST_MODULE test_messages
#include <boost/test/unit_test.hpp>
