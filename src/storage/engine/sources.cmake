# StorageEngine: the pool, the volumes and the mirrored pairs as the app runs them.
target_sources(nimbus_storage PRIVATE ${CMAKE_CURRENT_LIST_DIR}/storage_engine.cpp)
