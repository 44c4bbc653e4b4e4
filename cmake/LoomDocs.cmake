# LoomDocs.cmake: the `docs` target (not built by default): doxygen over the public
# headers (include/ and the generated loom-config.h) into ${PROJECT_BINARY_DIR}/docs.

set(LOOM_DOCS_DIR ${PROJECT_BINARY_DIR}/docs)
find_package(Doxygen QUIET)

if (DOXYGEN_FOUND)
	configure_file(${PROJECT_SOURCE_DIR}/cmake/Doxyfile.in
		${PROJECT_BINARY_DIR}/Doxyfile @ONLY)
	add_custom_target(docs
		COMMAND ${CMAKE_COMMAND} -E make_directory ${LOOM_DOCS_DIR}
		COMMAND ${DOXYGEN_EXECUTABLE} ${PROJECT_BINARY_DIR}/Doxyfile
		WORKING_DIRECTORY ${PROJECT_BINARY_DIR}
		COMMENT "API docs: ${LOOM_DOCS_DIR}/html/index.html"
		VERBATIM)
else()
	# Say what to do instead of silently doing nothing, and fail the target.
	set(_loom_nodocs ${PROJECT_BINARY_DIR}/CMakeFiles/loom-no-doxygen.cmake)
	file(WRITE ${_loom_nodocs} "message(FATAL_ERROR \"docs: doxygen was not found. "
		"Install it (Debian: apt-get install doxygen) and re-run cmake.\")\n")
	add_custom_target(docs COMMAND ${CMAKE_COMMAND} -P ${_loom_nodocs} VERBATIM)
	unset(_loom_nodocs)
endif()
