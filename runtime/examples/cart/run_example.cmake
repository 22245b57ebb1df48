# Runs the cart example in a fresh directory and checks that it finished what it says it did:
# exit code 0 within the time limit (a program that hangs at exit fails here), and its last lines.
file(REMOVE_RECURSE "${WORK_DIR}")
execute_process(COMMAND "${PROGRAM}" "${WORK_DIR}" RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE err TIMEOUT 50)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cart_example exited with ${rc}")
endif()
foreach(expected "refused: checked_out: the cart was checked out"
                 "read model: alice has 3 items, 105 cents, checked out"
                 "done: stopping the host and the projection")
  string(FIND "${out}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "cart_example did not print: ${expected}")
  endif()
endforeach()
