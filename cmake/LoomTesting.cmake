# LoomTesting.cmake: helpers that register ctest cases with the labels of
# DESIGN.md section 10 and a bounded run time.

# loom_add_test(NAME <name> LABELS <l>... COMMAND <cmd> [args...] [TIMEOUT <s>])
function(loom_add_test)
	cmake_parse_arguments(T "" "NAME;TIMEOUT" "LABELS;COMMAND" ${ARGN})
	if (NOT T_TIMEOUT)
		set(T_TIMEOUT 60)
	endif()
	list(GET T_COMMAND 0 _cmd0)
	if (CMAKE_CROSSCOMPILING AND TARGET ${_cmd0})
		# a cross build's own programs run under CMAKE_CROSSCOMPILING_EMULATOR
		# (qemu-user): label embedded; scripts that start them by path cannot
		list(APPEND T_LABELS embedded)
		math(EXPR T_TIMEOUT "${T_TIMEOUT} * 4")
	endif()
	add_test(NAME ${T_NAME} COMMAND ${T_COMMAND})
	set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT})
	loom_add_evlib_copies()
endfunction()

# The raw, h1 and ws sets run again on every event lib this build has: each test
# labelled core, http1 or ws (not reliability: valgrind; not tsan) is registered
# once more per lib as <name>@<lib>, with $LOOM_EVLIB (the testing aid of
# loom_create_context()) set and the labels evlibs and evlibs-<lib>.
# LOOM_EVLIB_TEST_SKIP_<lib> lists tests that cannot hold there.
set(LOOM_EVLIB_TEST_SKIP_libuv api-test-emfile)	# its loop holds 3 fds of 32
set(LOOM_EVLIB_TEST_SKIP_libev api-test-emfile)
set(LOOM_EVLIB_TEST_SKIP_libevent api-test-emfile)
set(LOOM_EVLIB_TEST_SKIP_glib api-test-emfile)
option(LOOM_TEST_EVLIB_COPIES "Run the raw, h1 and ws tests again on each event lib" ON)
macro(loom_add_evlib_copies)
	set(_copy ${LOOM_TEST_EVLIB_COPIES})
	set(_set OFF)
	foreach(_l core http1 ws)
		if (_l IN_LIST T_LABELS)
			set(_set ON)
		endif()
	endforeach()
	if (NOT _set)
		set(_copy OFF)
	endif()
	foreach(_l reliability tsan evlibs)
		if (_l IN_LIST T_LABELS)
			set(_copy OFF)
		endif()
	endforeach()
	if (T_NAME MATCHES "install-consumer|valgrind")
		set(_copy OFF)
	endif()
	if (_copy)
		foreach(_e ${LOOM_EVLIBS_BUILT})
			if (NOT T_NAME IN_LIST LOOM_EVLIB_TEST_SKIP_${_e})
				add_test(NAME ${T_NAME}@${_e} COMMAND ${T_COMMAND})
				set_tests_properties(${T_NAME}@${_e} PROPERTIES
					LABELS "evlibs;evlibs-${_e}" TIMEOUT ${T_TIMEOUT}
					ENVIRONMENT "LOOM_EVLIB=${_e}")
				# a copy may use the same fixed names (a Unix socket, a
				# file) as the original: never run them at the same time
				set_tests_properties(${T_NAME} ${T_NAME}@${_e} PROPERTIES
					RESOURCE_LOCK ${T_NAME})
				if ("tls" IN_LIST T_LABELS)
					set_tests_properties(${T_NAME}@${_e} PROPERTIES
						FIXTURES_REQUIRED tls-certs)
				endif()
			endif()
		endforeach()
	endif()
endmacro()

# loom_add_example(<name> <source>...): a minimal example linked to libloom
function(loom_add_example name)
	add_executable(${name} ${ARGN})
	target_link_libraries(${name} PRIVATE loom_for_tests)
	target_compile_definitions(${name} PRIVATE _POSIX_C_SOURCE=200809L _DEFAULT_SOURCE)
endfunction()
