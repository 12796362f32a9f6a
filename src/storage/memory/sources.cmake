# MemoryVolume (tests, development). Per-block checksums are XXH3-64 (libxxhash), as on disk.
if(NOT TARGET PkgConfig::XXHASH)
  pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
endif()
target_sources(nimbus_storage PRIVATE ${CMAKE_CURRENT_LIST_DIR}/memory_volume.cpp)
target_link_libraries(nimbus_storage PRIVATE PkgConfig::XXHASH)
