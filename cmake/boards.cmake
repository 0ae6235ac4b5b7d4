# Compile boards/*.dts with dtc and embed the blobs in a generated C file.
file(GLOB COPRO_BOARD_DTS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/boards/*.dts)
set(COPRO_BOARD_DTBS)
foreach(dts ${COPRO_BOARD_DTS})
  get_filename_component(board ${dts} NAME_WE)
  set(dtb ${PROJECT_BINARY_DIR}/boards/${board}.dtb)
  add_custom_command(
    OUTPUT ${dtb}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/boards
    COMMAND ${DTC} -q -I dts -O dtb -o ${dtb} ${dts}
    DEPENDS ${dts}
    COMMENT "dtc ${board}.dts"
    VERBATIM)
  list(APPEND COPRO_BOARD_DTBS ${dtb})
endforeach()
set(COPRO_BOARDS_C ${PROJECT_BINARY_DIR}/boards/boards.c)
add_custom_command(
  OUTPUT ${COPRO_BOARDS_C}
  COMMAND ${CMAKE_COMMAND} -DOUT=${COPRO_BOARDS_C} "-DDTBS=${COPRO_BOARD_DTBS}"
          -P ${PROJECT_SOURCE_DIR}/cmake/embed_boards.cmake
  DEPENDS ${COPRO_BOARD_DTBS} ${PROJECT_SOURCE_DIR}/cmake/embed_boards.cmake
  COMMENT "embedding boards"
  VERBATIM)
