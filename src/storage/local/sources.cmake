# LocalVolume (a directory per disk) and the storage-wide helpers of the same owner:
# put_blob.cpp (PutBlob/CopyBlob), block_checksum.cpp and open_volume.cpp (OpenVolume by uri scheme).
if(NOT TARGET PkgConfig::XXHASH)
  pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
endif()
target_sources(nimbus_storage PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/blob_format.cpp
  ${CMAKE_CURRENT_LIST_DIR}/disk_root.cpp
  ${CMAKE_CURRENT_LIST_DIR}/local_volume.cpp
  ${CMAKE_CURRENT_LIST_DIR}/local_writer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/posix_file.cpp
  ${CMAKE_CURRENT_LIST_DIR}/small_blobs.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../put_blob.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../block_checksum.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../open_volume.cpp)
target_link_libraries(nimbus_storage PRIVATE PkgConfig::XXHASH)
