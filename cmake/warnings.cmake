# Warnings for project targets only (Debian's headers are included as system headers).
function(nimbus_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror
                         -Wno-maybe-uninitialized)
endfunction()

if(NIMBUS_SANITIZE)
  add_compile_options(-fsanitize=${NIMBUS_SANITIZE} -fno-omit-frame-pointer)
  if(NIMBUS_SANITIZE MATCHES "thread")
    # GCC warns that TSan does not see Asio's atomic_thread_fence; -Werror would stop the build.
    add_compile_options(-Wno-tsan)
  endif()
  add_link_options(-fsanitize=${NIMBUS_SANITIZE})
endif()
