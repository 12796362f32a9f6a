list(APPEND STORAGE_TEST_SOURCES ${CMAKE_CURRENT_LIST_DIR}/local_volume_test.cpp)

# Fault tests on real files and processes (label integration): a helper program writes blobs
# under fiu-run (EIO/ENOSPC on pwrite, fdatasync, rename) or is killed with SIGKILL; a
# loop-mounted ext4 image is filled to ENOSPC (skipped unless root and mount works).
add_executable(nimbus_volume_fault_helper ${CMAKE_CURRENT_LIST_DIR}/volume_fault_helper.cpp)
target_include_directories(nimbus_volume_fault_helper PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(nimbus_volume_fault_helper PRIVATE nimbus_storage)
nimbus_warnings(nimbus_volume_fault_helper)
nimbus_test(nimbus_storage_fault_tests integration
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/local_fault_test.cpp LIBS nimbus_storage)
target_compile_definitions(nimbus_storage_fault_tests PRIVATE
  NIMBUS_FAULT_HELPER="$<TARGET_FILE:nimbus_volume_fault_helper>")
add_dependencies(nimbus_storage_fault_tests nimbus_volume_fault_helper)
