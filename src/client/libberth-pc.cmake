# Writes libberth.pc at install time (install(CODE) in CMakeLists.txt), so
# its prefix is the one installed to: `cmake --install build --prefix P`
# gives prefix=P, whatever CMAKE_INSTALL_PREFIX was at configure time.
# DESTDIR decides where the file goes (file(INSTALL) adds it), never what
# it says: a package staged in DESTDIR=/tmp/x with prefix /usr says /usr.
#
# In (set by the caller): BERTH_PC_IN (the template), BERTH_PC_OUT (a scratch
# file in the build tree), BERTH_PC_LIBDIR and BERTH_PC_INCLUDEDIR (as
# configured, relative to the prefix or absolute), BERTH_PC_VERSION,
# BERTH_PC_ARCH (CMAKE_LIBRARY_ARCHITECTURE, may be empty).
# CMAKE_INSTALL_PREFIX is the install-time prefix.

cmake_path(SET prefix NORMALIZE "${CMAKE_INSTALL_PREFIX}")
string(REGEX REPLACE "(.)/$" "\\1" prefix "${prefix}")

# A dir in the .pc: ${prefix}/rel, or as given when absolute.
function(berth_pc_dir rel out_pc out_abs)
  if(IS_ABSOLUTE "${rel}")
    cmake_path(SET abs NORMALIZE "${rel}")
    set(${out_pc} "${abs}" PARENT_SCOPE)
  else()
    cmake_path(SET abs NORMALIZE "${prefix}/${rel}")
    set(${out_pc} "\${prefix}/${rel}" PARENT_SCOPE)
  endif()
  string(REGEX REPLACE "(.)/$" "\\1" abs "${abs}")
  set(${out_abs} "${abs}" PARENT_SCOPE)
endfunction()
berth_pc_dir("${BERTH_PC_LIBDIR}" BERTH_PC_LIBDIR_PC libdir)
berth_pc_dir("${BERTH_PC_INCLUDEDIR}" BERTH_PC_INCLUDEDIR_PC includedir)

# Outside the dirs that both the linker and the dynamic loader search by
# default, a program linked with the Libs line would not find libberth.so.0
# at run time without LD_LIBRARY_PATH (or an ldconfig run, for
# /usr/local/lib): the Libs line then carries an rpath to libdir.
set(system_dirs /lib /usr/lib /lib64 /usr/lib64)
if(BERTH_PC_ARCH)
  list(APPEND system_dirs /lib/${BERTH_PC_ARCH} /usr/lib/${BERTH_PC_ARCH})
endif()
# (list(FIND): an install script runs without the project's policies.)
set(BERTH_PC_RPATH "")
list(FIND system_dirs "${libdir}" at)
if(at EQUAL -1)
  set(BERTH_PC_RPATH " -Wl,-rpath,\${libdir}")
endif()

set(BERTH_PC_PREFIX "${prefix}")
set(BERTH_PC_LIBDIR "${BERTH_PC_LIBDIR_PC}")
set(BERTH_PC_INCLUDEDIR "${BERTH_PC_INCLUDEDIR_PC}")
configure_file("${BERTH_PC_IN}" "${BERTH_PC_OUT}" @ONLY)
file(INSTALL DESTINATION "${libdir}/pkgconfig" TYPE FILE FILES "${BERTH_PC_OUT}")
