# tome's CUDA backend, included at the end of native/CMakeLists.txt:
#   include(${CMAKE_CURRENT_SOURCE_DIR}/cmake/cuda.cmake)
#
# Two libraries from native/src/cuda:
#   tome_cuda          plain C++, always built (no CUDA needed): the backend choice
#                      (device_probe: libcudart / libcuda loaded with dlopen) and the
#                      co-execution schedule, simulator and stats. The main loop's
#                      tests/cuda/test_*.cpp link it and run everywhere.
#   tome_cuda_kernels  built only when a CUDA compiler is found: the kernels (*.cu,
#                      one op per file) and host code that calls the CUDA runtime
#                      (*_cuda.cpp, compiled by the host compiler).
# With CUDA also: the device tests tests/cuda/device/test_*.cpp (each SKIPs, exit
# code 77, when no device answers) and the benchmark bench/bench_cuda_*.cu, plus the
# target tome_cuda_check that builds just those (what scripts/gpu-check.sh builds).
#
# Target GPUs: TOME_CUDA_ARCHS, default real code for sm_80/86/89/90 and PTX for
# newer chips. -DCMAKE_CUDA_ARCHITECTURES=... (e.g. native) given on the command
# line takes precedence; -DTOME_CUDA_ARCHS=86-real builds one architecture (faster
# builds on slow machines).

set(TOME_CUDA_DIR ${CMAKE_CURRENT_SOURCE_DIR}/src/cuda)

# --- tome_cuda: host C++ (no CUDA toolkit needed) ------------------------------
file(GLOB TOME_CUDA_HOST_SOURCES CONFIGURE_DEPENDS ${TOME_CUDA_DIR}/*.cpp)
list(FILTER TOME_CUDA_HOST_SOURCES EXCLUDE REGEX "_cuda\\.cpp$")
add_library(tome_cuda STATIC ${TOME_CUDA_HOST_SOURCES})
target_include_directories(tome_cuda PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/src)
target_link_libraries(tome_cuda PUBLIC tome_attention tome_cpu tome_common Threads::Threads ${CMAKE_DL_LIBS})

# Host tests of tests/cuda/test_*.cpp are created by the main test loop; label them.
if(TOME_BUILD_TESTS)
  file(GLOB TOME_CUDA_HOST_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/tests/cuda/test_*.cpp)
  foreach(src ${TOME_CUDA_HOST_TESTS})
    get_filename_component(name ${src} NAME_WE)
    if(TEST ${name})
      set_tests_properties(${name} PROPERTIES LABELS "cuda;host" TIMEOUT 120)
    endif()
  endforeach()
endif()

# --- the CUDA part, only with a CUDA compiler ----------------------------------
include(CheckLanguage)
check_language(CUDA)
if(NOT CMAKE_CUDA_COMPILER)
  message(STATUS "tome: nvcc not found, CUDA backend skipped")
  return()
endif()

# sm_89 / sm_90 need CUDA 11.8; ask nvcc before enable_language tries them.
execute_process(COMMAND ${CMAKE_CUDA_COMPILER} --version OUTPUT_VARIABLE TOME_NVCC_VERSION_TEXT ERROR_QUIET)
string(REGEX MATCH "release ([0-9]+\\.[0-9]+)" _ "${TOME_NVCC_VERSION_TEXT}")
if(CMAKE_MATCH_1 AND CMAKE_MATCH_1 VERSION_LESS 11.8)
  message(STATUS "tome: nvcc ${CMAKE_MATCH_1} is older than 11.8 (needed for sm_89/sm_90), CUDA backend skipped")
  return()
endif()

set(TOME_CUDA_DEFAULT_ARCHS "80-real;86-real;89-real;90-real;90-virtual")
if(DEFINED CMAKE_CUDA_ARCHITECTURES AND NOT DEFINED TOME_CUDA_ARCHS)
  set(TOME_CUDA_ARCHS "${CMAKE_CUDA_ARCHITECTURES}" CACHE STRING "CUDA architectures of tome's kernels")
else()
  set(TOME_CUDA_ARCHS "${TOME_CUDA_DEFAULT_ARCHS}" CACHE STRING "CUDA architectures of tome's kernels")
endif()
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
  set(CMAKE_CUDA_ARCHITECTURES "${TOME_CUDA_ARCHS}")
endif()
enable_language(CUDA)
find_package(CUDAToolkit REQUIRED)
message(STATUS "tome: CUDA ${CMAKE_CUDA_COMPILER_VERSION}, kernels for ${TOME_CUDA_ARCHS}")

# The top-level add_compile_options(-Wall -Wextra ...) would reach nvcc, which does
# not know them: CUDA targets get their options from here only.
function(tome_cuda_options target)
  set_property(TARGET ${target} PROPERTY COMPILE_OPTIONS "")
  set_target_properties(${target} PROPERTIES
    CUDA_ARCHITECTURES "${TOME_CUDA_ARCHS}"
    CUDA_STANDARD 17 CUDA_STANDARD_REQUIRED ON
    POSITION_INDEPENDENT_CODE ON)
  # -lineinfo: source lines in profiles (ncu); no effect on the code.
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:-lineinfo --Wno-deprecated-gpu-targets>)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-unused-parameter -O2>
                           $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall>)
  endif()
endfunction()

file(GLOB TOME_CUDA_KERNEL_SOURCES CONFIGURE_DEPENDS ${TOME_CUDA_DIR}/*.cu ${TOME_CUDA_DIR}/*_cuda.cpp)
add_library(tome_cuda_kernels STATIC ${TOME_CUDA_KERNEL_SOURCES})
tome_cuda_options(tome_cuda_kernels)
target_include_directories(tome_cuda_kernels PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/src)
target_link_libraries(tome_cuda_kernels PUBLIC tome_cuda CUDA::cudart_static)

add_custom_target(tome_cuda_check)

if(TOME_BUILD_TESTS)
  # Device tests: host C++ against the kernels, CPU kernels as the oracle.
  file(GLOB TOME_CUDA_DEVICE_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/tests/cuda/device/test_*.cpp)
  foreach(src ${TOME_CUDA_DEVICE_TESTS})
    get_filename_component(name ${src} NAME_WE)
    add_executable(${name} ${src})
    tome_cuda_options(${name})
    target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/tests
                               ${CMAKE_CURRENT_SOURCE_DIR}/tests/cuda/device)
    target_link_libraries(${name} PRIVATE tome_cuda_kernels tome_model)
    target_compile_definitions(${name} PRIVATE TOME_SOURCE_ROOT="${CMAKE_CURRENT_SOURCE_DIR}/..")
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE 77 LABELS "cuda;device" TIMEOUT 120)
    add_dependencies(tome_cuda_check ${name})
  endforeach()
  foreach(src ${TOME_CUDA_HOST_TESTS})
    get_filename_component(name ${src} NAME_WE)
    if(TARGET ${name})
      add_dependencies(tome_cuda_check ${name})
    endif()
  endforeach()
endif()

option(TOME_BUILD_CUDA_BENCH "Build the CUDA kernel benchmark" ${TOME_BUILD_TESTS})
if(TOME_BUILD_CUDA_BENCH)
  # (.cu only: the main loop links every bench/bench_*.cpp with tome_core alone.)
  file(GLOB TOME_CUDA_BENCHES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/bench/bench_cuda_*.cu)
  foreach(src ${TOME_CUDA_BENCHES})
    get_filename_component(name ${src} NAME_WE)
    add_executable(${name} ${src})
    tome_cuda_options(${name})
    # the benchmark checks its outputs with the device tests' fixtures
    target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/tests
                               ${CMAKE_CURRENT_SOURCE_DIR}/tests/cuda/device)
    target_link_libraries(${name} PRIVATE tome_cuda_kernels tome_model)
    add_dependencies(tome_cuda_check ${name})
  endforeach()
endif()
