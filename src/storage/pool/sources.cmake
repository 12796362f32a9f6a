# DiskPool: categories, placement, allocations, spares and disk states (tables in db/stores).
target_sources(nimbus_storage PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/capacity_probe.cpp
  ${CMAKE_CURRENT_LIST_DIR}/disk_pool.cpp
  ${CMAKE_CURRENT_LIST_DIR}/disk_pool_admin.cpp
  ${CMAKE_CURRENT_LIST_DIR}/disk_pool_move.cpp
  ${CMAKE_CURRENT_LIST_DIR}/disk_pool_setup.cpp)
