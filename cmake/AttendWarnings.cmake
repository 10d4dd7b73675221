# Compiler flags shared by every attend target: warnings (errors under ATTEND_WERROR), sanitizers, -march.
if(ATTEND_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
if(ATTEND_NATIVE)
  add_compile_options(-march=native)
endif()

function(attend_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           $<$<BOOL:${ATTEND_WERROR}>:-Werror>)
endfunction()
