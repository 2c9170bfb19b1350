# Finds the Debian 12 packages dynserv builds on and defines imported targets.
find_package(Threads REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS unit_test_framework)
find_package(RapidJSON CONFIG REQUIRED)
find_package(RocksDB CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)

# Debian's CAF 0.17.6 ships no CMake config: import its libraries by hand.
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
file(STRINGS "${CAF_INCLUDE_DIR}/caf/config.hpp" caf_version_line
     REGEX "#define CAF_VERSION [0-9]+")
string(REGEX MATCH "[0-9]+" CAF_VERSION_NUMBER "${caf_version_line}")
if(NOT CAF_VERSION_NUMBER EQUAL 1706)
  message(FATAL_ERROR "dynserv needs CAF 0.17.6 (libcaf-dev from Debian 12), "
                      "found CAF_VERSION ${CAF_VERSION_NUMBER}")
endif()
foreach(component core io openssl)
  find_library(CAF_${component}_LIBRARY caf_${component} REQUIRED)
  if(NOT TARGET CAF::${component})
    add_library(CAF::${component} SHARED IMPORTED)
    set_target_properties(CAF::${component} PROPERTIES
      IMPORTED_LOCATION "${CAF_${component}_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}")
  endif()
endforeach()
set_property(TARGET CAF::core APPEND PROPERTY
             INTERFACE_LINK_LIBRARIES Threads::Threads)
set_property(TARGET CAF::io APPEND PROPERTY INTERFACE_LINK_LIBRARIES CAF::core)
set_property(TARGET CAF::openssl APPEND PROPERTY
             INTERFACE_LINK_LIBRARIES CAF::io OpenSSL::SSL OpenSSL::Crypto)

if(NOT TARGET dynserv_rapidjson)
  add_library(dynserv_rapidjson INTERFACE)
  target_include_directories(dynserv_rapidjson SYSTEM INTERFACE
                             ${RAPIDJSON_INCLUDE_DIRS})
endif()
