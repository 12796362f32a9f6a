# StorageEngine: the pool, the volumes and the mirrored pairs as the app runs them.
target_sources(nimbus_storage PRIVATE ${CMAKE_CURRENT_LIST_DIR}/storage_engine.cpp)
# OwnerBlobs (an owner's blobs on their pair, plan changes) and the Mover (moves across categories).
target_sources(nimbus_storage PRIVATE ${CMAKE_CURRENT_LIST_DIR}/owner_blobs.cpp
                                      ${CMAKE_CURRENT_LIST_DIR}/mover.cpp
                                      ${CMAKE_CURRENT_LIST_DIR}/mover_tasks.cpp)
