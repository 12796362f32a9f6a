list(APPEND STORAGE_TEST_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/memory_volume_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/put_blob_test.cpp)
