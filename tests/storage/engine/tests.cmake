# StorageEngine and the disk-health job over MemoryVolumes (own binary: the job is in nimbus_jobs).
nimbus_test(nimbus_storage_engine_tests unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/storage_engine_test.cpp
  LIBS nimbus_jobs nimbus_storage PkgConfig::SODIUM)
# OwnerBlobs and the Mover (moves across categories) over MemoryVolumes / LocalVolumes and a real
# SQLite file.
nimbus_test(nimbus_owner_blobs_tests unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/owner_blobs_test.cpp ${CMAKE_CURRENT_LIST_DIR}/mover_test.cpp
  LIBS nimbus_storage PkgConfig::SODIUM)
# Scrub over MemoryVolumes and a real SQLite file, and the scrub job over a StorageEngine.
nimbus_test(nimbus_scrub_tests unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/scrub_test.cpp ${CMAKE_CURRENT_LIST_DIR}/scrub_job_test.cpp
  LIBS nimbus_jobs nimbus_storage PkgConfig::SODIUM Boost::json)
# `nimbus serve` finishes a move recorded before it started (real binary, disks and SQLite file).
if(TARGET nimbus)
  nimbus_test(nimbus_move_resume_tests integration
    SOURCES ${PROJECT_SOURCE_DIR}/tests/integration/nimbus_fixture.cpp
            ${CMAKE_CURRENT_LIST_DIR}/move_resume_test.cpp
    LIBS nimbus_test_support nimbus_storage nimbus_db)
  add_dependencies(nimbus_move_resume_tests nimbus)
endif()
# Replace + resilver, live topology and the persisted repair queue (same binary: needs the job).
target_sources(nimbus_storage_engine_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/resilver_test.cpp)
