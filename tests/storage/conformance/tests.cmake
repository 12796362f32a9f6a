# The Volume conformance suite; each implementation instantiates it in its own test folder.
list(APPEND STORAGE_TEST_SOURCES ${CMAKE_CURRENT_LIST_DIR}/volume_conformance.cpp)
