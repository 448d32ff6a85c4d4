# Declared layering (issue #17): each library names the folders it is built from and the
# libraries it may use; a source file that includes a header of a library it may not use fails
# the build. The check runs as a build step over every library's and test folder's sources
# (cmake/check_layering.cmake), re-run whenever one of them changes.
#
#   trainsim_library(NAME DIRS folder... DEPS library... [SOURCES extra.cpp...])
#
# Folders are relative to the project root. DEPS are the direct dependencies; what they may use,
# this library may use too (transitively). Linking follows the same list (PUBLIC), so a test
# target that links one library gets exactly that library and what lies below it.
set_property(GLOBAL PROPERTY TRAINSIM_LAYERS "")

function(trainsim_library name)
  cmake_parse_arguments(L "" "" "DIRS;DEPS;EXTERNAL" ${ARGN})
  set(srcs)
  foreach(d ${L_DIRS})
    file(GLOB_RECURSE f CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/${d}/*.cpp)
    list(APPEND srcs ${f})
  endforeach()
  add_library(${name} STATIC ${srcs})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${L_DEPS} ${L_EXTERNAL})
  trainsim_declare_layer(${name} DIRS ${L_DIRS} DEPS ${L_DEPS})
endfunction()

# Records a layer (a library, or a test folder) for the layering check without building anything.
function(trainsim_declare_layer name)
  cmake_parse_arguments(L "" "" "DIRS;DEPS" ${ARGN})
  string(REPLACE ";" "," dirs "${L_DIRS}")
  string(REPLACE ";" "," deps "${L_DEPS}")
  set_property(GLOBAL APPEND PROPERTY TRAINSIM_LAYERS "${name}|${dirs}|${deps}")
endfunction()

# The build step: checks every declared layer's sources against the declared dependencies.
function(trainsim_layering_check)
  get_property(layers GLOBAL PROPERTY TRAINSIM_LAYERS)
  set(spec ${PROJECT_BINARY_DIR}/layering.txt)
  string(REPLACE ";" "\n" text "${layers}")
  file(WRITE ${spec} "${text}\n")
  set(all_srcs)
  foreach(l ${layers})
    string(REPLACE "|" ";" parts "${l}")
    list(GET parts 1 dirs)
    string(REPLACE "," ";" dirs "${dirs}")
    foreach(d ${dirs})
      file(GLOB_RECURSE f CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/${d}/*.cpp ${PROJECT_SOURCE_DIR}/${d}/*.hpp)
      list(APPEND all_srcs ${f})
    endforeach()
  endforeach()
  add_custom_command(
    OUTPUT ${PROJECT_BINARY_DIR}/layering.stamp
    COMMAND ${CMAKE_COMMAND} -DROOT=${PROJECT_SOURCE_DIR} -DSPEC=${spec} -P ${PROJECT_SOURCE_DIR}/cmake/check_layering.cmake
    COMMAND ${CMAKE_COMMAND} -E touch ${PROJECT_BINARY_DIR}/layering.stamp
    DEPENDS ${all_srcs} ${spec} ${PROJECT_SOURCE_DIR}/cmake/check_layering.cmake
    COMMENT "Checking the layering of libraries and tests (cmake/TrainsimLayering.cmake)")
  add_custom_target(trainsim_layering ALL DEPENDS ${PROJECT_BINARY_DIR}/layering.stamp)
endfunction()
