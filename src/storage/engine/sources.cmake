# StorageEngine: the pool, the volumes and the mirrored pairs as the app runs them.
target_sources(nimbus_storage PRIVATE ${CMAKE_CURRENT_LIST_DIR}/storage_engine.cpp)
# OwnerBlobs (an owner's blobs on their pair, plan changes) and the Mover (moves across categories).
target_sources(nimbus_storage PRIVATE ${CMAKE_CURRENT_LIST_DIR}/owner_blobs.cpp
                                      ${CMAKE_CURRENT_LIST_DIR}/mover.cpp
                                      ${CMAKE_CURRENT_LIST_DIR}/mover_tasks.cpp)
# Scrub (verify both copies of every blob of a pair, repair, orphans); its report uses Boost.JSON.
target_sources(nimbus_storage PRIVATE ${CMAKE_CURRENT_LIST_DIR}/scrub.cpp
                                      ${CMAKE_CURRENT_LIST_DIR}/scrub_findings.cpp
                                      ${CMAKE_CURRENT_LIST_DIR}/scrub_report.cpp)
target_link_libraries(nimbus_storage PRIVATE Boost::json)
# Resilver (rebuild a replaced disk from its partner), live topology and the repair journal.
target_sources(nimbus_storage PRIVATE ${CMAKE_CURRENT_LIST_DIR}/resilver.cpp
                                      ${CMAKE_CURRENT_LIST_DIR}/storage_engine_topology.cpp
                                      ${CMAKE_CURRENT_LIST_DIR}/storage_engine_resilver.cpp)
