list(APPEND STORAGE_TEST_SOURCES ${CMAKE_CURRENT_LIST_DIR}/disk_pool_test.cpp ${CMAKE_CURRENT_LIST_DIR}/capacity_probe_test.cpp)
