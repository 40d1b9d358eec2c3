# The ABI guard: plugin.h is a promise to third parties, so any change to it must be
# deliberate — append-only, SLOTH_ABI_MINOR bumped, the new hash recorded in
# abi/plugin.h.sha256 ("<sha256> <major>.<minor>").
#
# include()d by sdk/CMakeLists.txt at configure time, or run as a script:
#   cmake -DHEADER=<plugin.h> -DRECORD=<plugin.h.sha256> -P SlothAbiGuard.cmake
function(sloth_check_abi header record)
  file(STRINGS "${header}" abi_lines REGEX "^#define SLOTH_ABI_M(AJOR|INOR) [0-9]+")
  string(REGEX MATCH "SLOTH_ABI_MAJOR ([0-9]+)" _ "${abi_lines}")
  set(major ${CMAKE_MATCH_1})
  string(REGEX MATCH "SLOTH_ABI_MINOR ([0-9]+)" _ "${abi_lines}")
  set(minor ${CMAKE_MATCH_1})
  file(SHA256 "${header}" hash)
  file(STRINGS "${record}" recorded LIMIT_COUNT 1)
  string(REGEX MATCH "^([0-9a-f]+) +([0-9]+)\\.([0-9]+)" _ "${recorded}")
  set(recorded_hash "${CMAKE_MATCH_1}")
  set(recorded_version "${CMAKE_MATCH_2}.${CMAKE_MATCH_3}")
  if(NOT hash STREQUAL recorded_hash)
    message(FATAL_ERROR
      "${header} changed (sha256 ${hash}) but ${record} records ${recorded_hash}. The plugin "
      "ABI only grows: append fields and enum values, bump SLOTH_ABI_MINOR, then record the "
      "new hash with the new version.")
  endif()
  if(NOT recorded_version STREQUAL "${major}.${minor}")
    message(FATAL_ERROR
      "${record} records ABI ${recorded_version} but plugin.h says ${major}.${minor}: bump the "
      "version together with the hash.")
  endif()
  set(SLOTH_ABI_MAJOR ${major} PARENT_SCOPE)
  set(SLOTH_ABI_MINOR ${minor} PARENT_SCOPE)
endfunction()

if(CMAKE_SCRIPT_MODE_FILE AND HEADER AND RECORD)
  sloth_check_abi("${HEADER}" "${RECORD}")
  message(STATUS "ABI guard: ${HEADER} matches ${RECORD}")
endif()
