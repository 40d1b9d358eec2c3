# sloth_add_plugin(<target>
#   ID <id> VERSION <x.y.z> KINDS <kind>...
#   SOURCES <file>...
#   [FEATURE <plan feature>] [DESCRIPTION <text>] [CONFIG_SCHEMA <file.json>]
#   [MIN_HOST_MINOR <n>] [OUTPUT_DIRECTORY <dir>])
#
# Builds a plugin library the way the host expects it: hidden visibility, a version script
# that exports only the two entry points, -z defs (no undefined symbols left for the host to
# satisfy), and plugin.json written beside the library so the host can check compatibility
# without loading it. The library lands in <OUTPUT_DIRECTORY>/<id>/ (default:
# ${CMAKE_BINARY_DIR}/plugins/<id>/), which is the layout a plugins directory has.
function(sloth_add_plugin target)
  cmake_parse_arguments(P "" "ID;VERSION;FEATURE;DESCRIPTION;CONFIG_SCHEMA;MIN_HOST_MINOR;OUTPUT_DIRECTORY"
                        "KINDS;SOURCES" ${ARGN})
  foreach(required ID VERSION KINDS SOURCES)
    if(NOT P_${required})
      message(FATAL_ERROR "sloth_add_plugin(${target}): ${required} is required")
    endif()
  endforeach()
  if(NOT P_ID MATCHES "^[a-z0-9_-]+$")
    message(FATAL_ERROR "sloth_add_plugin(${target}): ID must match [a-z0-9_-]+")
  endif()
  if(NOT P_VERSION MATCHES "^[0-9]+\\.[0-9]+\\.[0-9]+")
    message(FATAL_ERROR "sloth_add_plugin(${target}): VERSION must be a semantic version")
  endif()
  if(NOT DEFINED P_MIN_HOST_MINOR)
    set(P_MIN_HOST_MINOR 0)
  endif()
  if(NOT P_OUTPUT_DIRECTORY)
    set(P_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/plugins")
  endif()
  set(out_dir "${P_OUTPUT_DIRECTORY}/${P_ID}")

  add_library(${target} MODULE ${P_SOURCES})
  set_property(GLOBAL APPEND PROPERTY SLOTH_PLUGIN_TARGETS ${target})
  target_link_libraries(${target} PRIVATE SlothSDK::sdk)
  target_compile_features(${target} PRIVATE cxx_std_20)
  set(map "${CMAKE_CURRENT_BINARY_DIR}/${target}.exports.map")
  file(WRITE "${map}" "{\n  global: sloth_plugin_descriptor; sloth_plugin_init_v1;\n  local: *;\n};\n")
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME "sloth_${P_ID}"
    LIBRARY_OUTPUT_DIRECTORY "${out_dir}"
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LINK_DEPENDS "${map}")
  target_link_options(${target} PRIVATE "LINKER:--version-script=${map}" "LINKER:-z,defs")
  target_compile_definitions(${target} PRIVATE SLOTH_PLUGIN_MIN_HOST_MINOR=${P_MIN_HOST_MINOR})

  set(kinds "")
  foreach(k IN LISTS P_KINDS)
    if(NOT k MATCHES "^(channel|llm|embedder|vision|calendar|storage|payment)$")
      message(FATAL_ERROR "sloth_add_plugin(${target}): unknown kind '${k}'")
    endif()
    string(APPEND kinds "\"${k}\", ")
  endforeach()
  string(REGEX REPLACE ", $" "" kinds "${kinds}")
  set(schema "{\"type\": \"object\"}")
  if(P_CONFIG_SCHEMA)
    get_filename_component(schema_file "${P_CONFIG_SCHEMA}" ABSOLUTE)
    file(READ "${schema_file}" schema)
    string(JSON schema_type ERROR_VARIABLE schema_error TYPE "${schema}")
    if(schema_error OR NOT schema_type STREQUAL "OBJECT")
      message(FATAL_ERROR "sloth_add_plugin(${target}): ${P_CONFIG_SCHEMA} is not a JSON object")
    endif()
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${schema_file}")
  endif()
  if(P_FEATURE)
    set(feature "\"${P_FEATURE}\"")
  else()
    set(feature "null")
  endif()
  string(REPLACE "\"" "\\\"" description "${P_DESCRIPTION}")
  string(CONFIGURE [=[{
  "id": "@P_ID@",
  "version": "@P_VERSION@",
  "description": "@description@",
  "kinds": [@kinds@],
  "feature": @feature@,
  "abi": {"major": 1, "min_host_minor": @P_MIN_HOST_MINOR@},
  "library": "$<TARGET_FILE_NAME:@target@>",
  "config_schema": @schema@
}
]=] manifest @ONLY)
  file(GENERATE OUTPUT "${out_dir}/plugin.json" CONTENT "${manifest}")
endfunction()
