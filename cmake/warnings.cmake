# Warnings for project targets only (Debian's headers are included as system headers).
# -Wmismatched-new-delete is off: GCC 12 at -O2 reports it falsely on every Asio coroutine frame
# (awaitable_frame_base's sized operator delete), depending on inlining, file by file.
function(nimbus_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror
                         -Wno-maybe-uninitialized -Wno-mismatched-new-delete)
endfunction()

if(NIMBUS_SANITIZE)
  add_compile_options(-fsanitize=${NIMBUS_SANITIZE} -fno-omit-frame-pointer)
  if(NIMBUS_SANITIZE MATCHES "thread")
    # GCC warns that TSan does not see Asio's atomic_thread_fence; -Werror would stop the build.
    add_compile_options(-Wno-tsan)
  endif()
  add_link_options(-fsanitize=${NIMBUS_SANITIZE})
endif()
