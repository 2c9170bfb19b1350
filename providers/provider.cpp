// Out-of-line anchor for the provider interface's vtable.
#include "providers/provider.hpp"

namespace dynserv {

provider::~provider() = default;

} // namespace dynserv
