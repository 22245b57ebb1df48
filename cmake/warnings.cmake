# dca::warnings carries the warning flags every target of ours uses; warnings are errors.
add_library(dca_warnings INTERFACE)
add_library(dca::warnings ALIAS dca_warnings)
target_compile_options(dca_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough -Werror)
