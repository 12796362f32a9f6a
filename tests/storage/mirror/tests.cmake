# MirroredVolume unit tests (over MemoryVolumes and the FaultyVolume decorator; LocalVolumes in
# temp dirs), and the conformance suite instantiated for MirroredVolume.
list(APPEND STORAGE_TEST_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/mirrored_volume_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pair_state_test.cpp
)
if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/../conformance/tests.cmake
   AND EXISTS ${PROJECT_SOURCE_DIR}/src/storage/local/sources.cmake)
  list(APPEND STORAGE_TEST_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/mirrored_conformance_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/mirrored_local_test.cpp
  )
endif()
# Fault tests on real files (rename, truncate, flip a byte mid-read): own binary, label integration.
if(EXISTS ${PROJECT_SOURCE_DIR}/src/storage/local/sources.cmake)
  nimbus_test(nimbus_mirror_fault_tests integration
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/mirror_fault_test.cpp LIBS nimbus_storage)
endif()
