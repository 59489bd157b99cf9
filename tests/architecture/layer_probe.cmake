# Proves that the layer rule is held by the compiler (see the root CMakeLists.txt): against
# each layer's include view, an include the layer may use compiles and one against the
# direction is "not found". Run by CTest with SOURCE_DIR, BINARY_DIR and CXX.
set(failures "")

function(probe layer header expect)
  set(file "${BINARY_DIR}/layer_probe/${layer}.cpp")
  file(WRITE "${file}" "#include \"${header}\"\nint main() { return 0; }\n")
  execute_process(
    COMMAND "${CXX}" -std=c++20 -fsyntax-only "-I${BINARY_DIR}/layers/${layer}" "${file}"
    RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
  if(expect STREQUAL "allowed" AND NOT rc EQUAL 0)
    string(APPEND failures "${layer} may include ${header}, but it did not compile:\n${err}\n")
  elseif(expect STREQUAL "forbidden")
    if(rc EQUAL 0)
      string(APPEND failures "${layer} must not include ${header}, but it compiled\n")
    elseif(NOT err MATCHES "No such file or directory|file not found")
      string(APPEND failures "${layer} including ${header} failed for another reason:\n${err}\n")
    endif()
  endif()
  set(failures "${failures}" PARENT_SCOPE)
endfunction()

probe(model model/provider.h allowed)
probe(model model/state_store.h allowed)
foreach(header engine/plan.h providers/docker_provider.h state/sqlite_db.h
               manifests/manifest_loader.h cli/run_context.h)
  probe(model ${header} forbidden)
endforeach()
foreach(layer manifests providers state engine)
  probe(${layer} model/desired_state.h allowed)
endforeach()
probe(engine engine/executor.h allowed)
probe(serve engine/reconciler.h allowed)
probe(manifests manifests/manifest_loader.h allowed)
probe(providers providers/docker_provider.h allowed)
probe(state state/sqlite_db.h allowed)
foreach(pair
    engine:providers/docker_provider.h engine:state/sqlite_db.h
    engine:manifests/manifest_loader.h engine:cli/run_context.h
    manifests:providers/docker_provider.h manifests:engine/plan.h manifests:state/sqlite_db.h
    providers:engine/plan.h providers:state/sqlite_db.h providers:manifests/manifest_loader.h
    state:engine/plan.h state:providers/docker_provider.h state:manifests/manifest_loader.h
    serve:providers/docker_provider.h serve:state/sqlite_db.h serve:manifests/manifest_loader.h
    serve:cli/run_context.h engine:serve/server.h)
  string(REPLACE ":" ";" parts "${pair}")
  list(GET parts 0 layer)
  list(GET parts 1 header)
  probe(${layer} ${header} forbidden)
endforeach()

if(failures)
  message(FATAL_ERROR "${failures}")
endif()
message(STATUS "every layer includes only what it may")
