// Out-of-line anchor for the store interface's vtable.
#include "storage/store.hpp"

namespace dynserv {

store::~store() = default;

} // namespace dynserv
