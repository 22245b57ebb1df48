# `dca journal verify` on a journal the cart example wrote: every cart event decodes (dca registers
# the cart's decoders beside the bank's), none is left as "of types without a decoder".
# cmake -DDCA=... -DCART=<cart_example> -DWORK=... -P journal_cart_test.cmake
file(REMOVE_RECURSE "${WORK}")
execute_process(COMMAND "${CART}" "${WORK}" RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err
                TIMEOUT 50)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cart_example failed (${rc}): ${err}")
endif()
execute_process(COMMAND "${DCA}" journal verify "${WORK}/cart-journal.db" RESULT_VARIABLE rc
                OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES ": ok: ([1-9][0-9]*) events \\(([1-9][0-9]*) decoded, 0 of types")
  message(FATAL_ERROR "expected every cart event decoded, got exit ${rc}:\n${out}${err}")
endif()
if(NOT CMAKE_MATCH_1 EQUAL CMAKE_MATCH_2)
  message(FATAL_ERROR "decoded ${CMAKE_MATCH_2} of ${CMAKE_MATCH_1} events:\n${out}")
endif()
message(STATUS "${out}")
