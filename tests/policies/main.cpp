// Entry point of the policies/ tests (time zones, schedules, http_metric,
// guardrails).
#define BOOST_TEST_MODULE test_policies
#include <boost/test/unit_test.hpp>
