# Embeds a text file into a C++ source at build time:
#   cmake -DINPUT=file -DOUTPUT=file.cpp -DFUNCTION=name -P embed_text.cmake
# writes `const std::string& dynserv::<FUNCTION>()` returning the file's bytes,
# so that the binary needs no data files at run time.
file(READ "${INPUT}" content)
set(delimiter "dynserv_embed")
string(FIND "${content}" ")${delimiter}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw string delimiter ${delimiter}")
endif()
get_filename_component(name "${INPUT}" NAME)
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${name} by cmake/embed_text.cmake; do not edit.\n"
  "#include <string>\n\n"
  "namespace dynserv {\n\n"
  "const std::string& ${FUNCTION}() {\n"
  "  static const std::string text = R\"${delimiter}(${content})${delimiter}\";\n"
  "  return text;\n"
  "}\n\n"
  "} // namespace dynserv\n")
# Only touch the output when it changes, so that nothing rebuilds needlessly.
execute_process(COMMAND "${CMAKE_COMMAND}" -E copy_if_different
                        "${OUTPUT}.tmp" "${OUTPUT}")
file(REMOVE "${OUTPUT}.tmp")
