// Names and construction of dynserv error codes.
#include "messages/errors.hpp"

#include "caf/make_message.hpp"
#include "caf/message.hpp"

namespace dynserv {

std::string to_string(ec x) {
  switch (x) {
    case ec::none:
      return "none";
    case ec::unknown_pool:
      return "unknown_pool";
    case ec::unknown_server:
      return "unknown_server";
    case ec::invalid_argument:
      return "invalid_argument";
    case ec::invalid_transition:
      return "invalid_transition";
    case ec::storage_failure:
      return "storage_failure";
    case ec::corrupt_record:
      return "corrupt_record";
    case ec::provider_failure:
      return "provider_failure";
    case ec::invalid_config:
      return "invalid_config";
    case ec::unauthorized:
      return "unauthorized";
  }
  return "unknown";
}

caf::error make_error(ec code, std::string message) {
  return caf::error{static_cast<uint8_t>(code), error_category,
                    caf::make_message(std::move(message))};
}

} // namespace dynserv

namespace dynserv {

std::string describe(const caf::error& err) {
  if (!err)
    return "no error";
  if (err.category() != error_category)
    return caf::to_string(err);
  auto str = to_string(static_cast<ec>(err.code()));
  const auto& ctx = err.context();
  if (ctx.match_elements<std::string>())
    str += ": " + ctx.get_as<std::string>(0);
  return str;
}

} // namespace dynserv
