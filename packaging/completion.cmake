# Writes the shell completion scripts the .deb installs, from the built jlrec:
#   cmake -DJLREC=path/to/jlrec -DOUT_DIR=dir -DSTAMP=file -P packaging/completion.cmake
# OUT_DIR gets jlrec.bash, _jlrec (zsh) and jlrec.fish, each the output of
# `jlrec completion bash|zsh|fish`. A jlrec whose `--help` lists no `completion` command
# yields no script (the package then ships none, and says so at build and in package-test);
# one that lists it must print all three, else the build fails with jlrec's error.
foreach(var JLREC OUT_DIR STAMP)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "completion.cmake: -D${var}=... is required")
  endif()
endforeach()

file(REMOVE "${STAMP}")  # written last: a failed run leaves none, so the next build retries
set(files bash jlrec.bash zsh _jlrec fish jlrec.fish)
execute_process(COMMAND "${JLREC}" --help OUTPUT_VARIABLE usage ERROR_VARIABLE usage_err
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "completion.cmake: `${JLREC} --help` failed (${rc}): ${usage_err}")
endif()
file(MAKE_DIRECTORY "${OUT_DIR}")
if(NOT usage MATCHES "\n  completion ")
  message(WARNING "jlrec has no `completion` command: the package ships no shell completion")
  foreach(name jlrec.bash _jlrec jlrec.fish)
    file(REMOVE "${OUT_DIR}/${name}")
  endforeach()
  file(WRITE "${STAMP}" "none\n")
  return()
endif()

while(files)
  list(POP_FRONT files shell name)
  # Written beside, renamed when complete: a failed run leaves no half script behind.
  execute_process(COMMAND "${JLREC}" completion ${shell}
                  OUTPUT_FILE "${OUT_DIR}/${name}.tmp" ERROR_VARIABLE err RESULT_VARIABLE rc)
  file(SIZE "${OUT_DIR}/${name}.tmp" size)
  if(NOT rc EQUAL 0 OR size EQUAL 0)
    file(REMOVE "${OUT_DIR}/${name}.tmp" "${OUT_DIR}/${name}")
    message(FATAL_ERROR
            "completion.cmake: `jlrec completion ${shell}` failed (exit ${rc}, ${size} bytes): "
            "${err}")
  endif()
  file(RENAME "${OUT_DIR}/${name}.tmp" "${OUT_DIR}/${name}")
endwhile()
file(WRITE "${STAMP}" "bash zsh fish\n")
