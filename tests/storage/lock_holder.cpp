// Test helper: holds a RocksDB primary open in its own process.
//
// Usage: storage_lock_holder DIR. Opens DIR as primary, writes `k/held`,
// prints "ready" and then serves "put KEY VALUE" lines from stdin, answering
// "ok" (or "error: ...") to each. Exits when stdin closes.
#include <iostream>
#include <sstream>
#include <string>

#include "messages/errors.hpp"
#include "storage/rocksdb_store.hpp"

namespace {

/// Writes one key; returns the answer line.
std::string put(dynserv::store& db, std::string key, std::string value) {
  dynserv::write_batch batch;
  batch.put(std::move(key), std::move(value));
  if (auto err = db.write(batch))
    return "error: " + dynserv::describe(err);
  return "ok";
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: storage_lock_holder DIR\n";
    return 2;
  }
  auto db = dynserv::open_rocksdb_store(argv[1],
                                        dynserv::rocksdb_open_mode::primary);
  if (!db) {
    std::cout << "error: " << dynserv::describe(db.error()) << std::endl;
    return 1;
  }
  std::cout << (put(**db, "k/held", "by-holder") == "ok" ? "ready" : "error")
            << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in{line};
    std::string cmd;
    std::string key;
    std::string value;
    if (in >> cmd >> key >> value && cmd == "put")
      std::cout << put(**db, key, value) << std::endl;
    else
      std::cout << "error: bad command" << std::endl;
  }
  return 0;
}
