# MirroredVolume unit tests (over MemoryVolumes and the FaultyVolume decorator).
list(APPEND STORAGE_TEST_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/mirrored_volume_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pair_state_test.cpp
)
