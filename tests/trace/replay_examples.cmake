# cmake -DPROTMC=... -DEXAMPLES=DIR -P replay_examples.cmake: runs
# `protmc replay` on every *.json in DIR; fails unless each exits 0.
file(GLOB traces ${EXAMPLES}/*.json)
list(LENGTH traces count)
if(count EQUAL 0)
  message(FATAL_ERROR "no example traces in ${EXAMPLES}")
endif()
set(failed "")
foreach(trace IN LISTS traces)
  execute_process(COMMAND ${PROTMC} replay ${trace} RESULT_VARIABLE status OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT status EQUAL 0)
    message("${trace}: protmc replay exited ${status}\n${out}${err}")
    list(APPEND failed ${trace})
  endif()
endforeach()
if(failed)
  message(FATAL_ERROR "example traces that no longer replay: ${failed}\n"
                      "(tools/regenerate-example-traces regenerates them)")
endif()
message("${count} example traces replay")
