# MirroredVolume (a Volume over a primary and a mirror), its pair state and repair queue, and the
# storage alert sink (src/storage/alerts.cpp, used by the mirror and the pool).
target_sources(nimbus_storage PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/../alerts.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mirrored_volume.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mirrored_writer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mirror_repair.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pair_state.cpp
  ${CMAKE_CURRENT_LIST_DIR}/repair_queue.cpp
  ${CMAKE_CURRENT_LIST_DIR}/repair_journal.cpp
)
