# LoomTesting.cmake: helpers that register ctest cases with the labels of
# DESIGN.md section 10 and a bounded run time.

# loom_add_test(NAME <name> LABELS <l>... COMMAND <cmd> [args...] [TIMEOUT <s>])
function(loom_add_test)
	cmake_parse_arguments(T "" "NAME;TIMEOUT" "LABELS;COMMAND" ${ARGN})
	if (NOT T_TIMEOUT)
		set(T_TIMEOUT 60)
	endif()
	add_test(NAME ${T_NAME} COMMAND ${T_COMMAND})
	set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT})
endfunction()

# loom_add_example(<name> <source>...): a minimal example linked to libloom
function(loom_add_example name)
	add_executable(${name} ${ARGN})
	target_link_libraries(${name} PRIVATE loom_for_tests)
	target_compile_definitions(${name} PRIVATE _POSIX_C_SOURCE=200809L _DEFAULT_SOURCE)
endfunction()
