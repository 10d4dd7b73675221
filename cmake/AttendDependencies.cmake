# Dependencies, all from Debian packages (scripts/install-deps.sh installs them).
find_package(OpenMP REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(yaml-cpp REQUIRED)            # training configs (train/option_table)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SENTENCEPIECE REQUIRED IMPORTED_TARGET sentencepiece)   # data/tokenizer: train and encode
pkg_check_modules(STB REQUIRED IMPORTED_TARGET stb)   # explain/: PNG writing (stb_image_write), label fonts (stb_truetype)

# OpenBLAS built with OpenMP (libopenblas0-openmp), so BLAS and attend share one thread pool. Debian installs it
# beside the pthread build; we link it by path and put its folder on the RUNPATH so the loader picks it over
# whatever the libopenblas.so.0 alternative points to.
set(ATTEND_OPENBLAS_DIR "/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp" CACHE PATH "OpenBLAS (OpenMP build) folder")
find_library(ATTEND_OPENBLAS_LIBRARY NAMES openblas PATHS ${ATTEND_OPENBLAS_DIR} NO_DEFAULT_PATH)
find_path(ATTEND_CBLAS_INCLUDE cblas.h PATHS /usr/include/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp NO_DEFAULT_PATH)
if(NOT ATTEND_OPENBLAS_LIBRARY OR NOT ATTEND_CBLAS_INCLUDE)
  message(FATAL_ERROR "OpenBLAS (OpenMP build) not found in ${ATTEND_OPENBLAS_DIR}: run `make deps` "
                      "(installs libopenblas-openmp-dev)")
endif()
# RUNPATH: the build tree finds the OpenMP OpenBLAS; an installed tree finds it and, from bin/, its own lib/ (relative
# to the binary, so `cmake --install --prefix anywhere` works).
list(APPEND CMAKE_BUILD_RPATH ${ATTEND_OPENBLAS_DIR})
set(CMAKE_INSTALL_RPATH "${ATTEND_OPENBLAS_DIR};\$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")
