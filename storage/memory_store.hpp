// An in-memory store backend for tests and demos.
#pragma once

#include "storage/store.hpp"

namespace dynserv {

/// Creates an empty, thread-safe store that keeps its data in a `std::map`.
/// The data lives as long as the returned object. Scans visit a copy of the
/// matching entries taken under the lock, so visitors see a consistent
/// snapshot and may call back into the store.
store_ptr make_memory_store();

} // namespace dynserv
