# No test name may hold a ';': CMake splits it there, so catch_discover_tests registers a
# truncated name that matches no test, and Catch then "passes" having run nothing. Nor start
# with '-': ctest hands the name to the binary, which reads it as an option and fails.
# -DBINARIES=a|b|c (the test binaries).
string(REPLACE "|" ";" binaries "${BINARIES}")
set(bad "")
foreach(binary IN LISTS binaries)
  execute_process(COMMAND "${binary}" --list-test-names-only OUTPUT_VARIABLE names
                  RESULT_VARIABLE rc)
  string(REPLACE ";" "<SEMICOLON>" names "${names}")
  string(REPLACE "\n" ";" lines "${names}")
  foreach(line IN LISTS lines)
    if(line MATCHES "<SEMICOLON>" OR line MATCHES "^-")
      string(REPLACE "<SEMICOLON>" "\;" shown "${line}")
      string(APPEND bad "${binary}: ${shown}\n")
    endif()
  endforeach()
endforeach()
if(bad)
  message(FATAL_ERROR "test names with a ';' or a leading '-' (ctest cannot run them):\n${bad}")
endif()
message(STATUS "no test name holds a ';' or starts with '-'")
