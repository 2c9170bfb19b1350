// Entry point of the console tests (dynservctl's parsing and output).
#define BOOST_TEST_MODULE test_console
#include <boost/test/unit_test.hpp>
