// The system wall clock used outside tests.
#include "actors/actor_context.hpp"

#include <chrono>

namespace dynserv {

wall_clock system_wall_clock() {
  return [] {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
      .count();
  };
}

} // namespace dynserv
